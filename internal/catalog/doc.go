// Package catalog is the information catalogue (公共信用信息目录): the kinds
// of credit record the platform takes in (行政许可, 行政处罚, …) as data, and
// the validation of one row against a kind.
//
// # Use
//
//	cat := catalog.Default()                 // built-in kinds: cf 行政处罚, xk 行政许可, …
//	k, _ := cat.Kind("cf")
//	cols, err := k.MatchHeader(headerRow)    // *HeaderError: 缺少必填列：…
//	for each row {
//		rec, errs := k.Validate(row, cols, calendar.Today())
//		// errs: every FieldError of the row (field key, exchange code,
//		// Chinese name, column, Chinese reason); rec is zero then.
//		// rec: normalized values; SubjectClass, DecisionNo, DecisionDate,
//		// SourceDeptUSCC, IdentityKey(hash), Canonical, Digest …
//	}
//
// Dates are calendar.Date values, the project's one date type: Validate
// takes the day of validation as one (calendar.Today(), or the day a batch
// was received; the zero Date turns the not-in-the-future rule off), and
// Record.Date and Record.DecisionDate return them (the zero Date when
// missing). Their canonical text YYYY-MM-DD, which records hold, is
// calendar.Date.String. The catalogue adds only what is its own: ParseDate,
// the lenient reading of dates as users write them (see the date type under Field types), and
// LongTerm, the 2099-12-31 that means 长期.
//
// Kinds and Columns are immutable and may be shared by goroutines.
// Validate allocates the record's value slice and what the identifier
// checks of package code allocate; valid department codes are remembered
// per kind (a bounded, lock-free table), since they repeat on every row.
//
// # Adding a kind
//
// A kind is a JSON file, loaded with LoadKind and added with Catalog.Add;
// the built-in ones are embedded from kinds/*.json (cf, xk, the lists
// sx and hm, wn, and the monthly kinds qz 行政强制, qr 行政确认, jl 行政奖励,
// gf 行政给付, jc 行政检查). Adding a kind needs a file, no Go code (see
// testdata/qz.json for a small example, code tq). LoadKind rejects unknown JSON
// names and reports every problem of a definition at once, in Chinese
// (*DefinitionError).
//
//	{
//	  "code": "cf",                   // lower-case id, unique in a catalogue
//	  "name": "行政处罚",
//	  "nature": "bad",                // basic | good | bad
//	  "disclosure": "public",         // public | shared | authorised
//	  "basis": "…", "note": "…",      // free text
//	  "publicity": {
//	    "deadline_working_days": 7,   // publish within N working days of the decision
//	    "from": "decision_date",      // date field the windows count from
//	    "until": "publicity_end",     // optional: date field with the sender's own end date
//	    "windows": [{"severity": "general", "min_months": 3, "max_months": 12}, …],
//	    "severity_rules": [{"severity": "serious", "field": "penalty_category", "any_of": ["吊销许可证件"], "basis": "…"}, …],
//	    "default_severity": "general",
//	    "no_early_repair": [{"field": "penalty_category", "any_of": ["责令停产停业", …], "basis": "…"}], // never repaired early (package repair)
//	    "basis": "…"
//	  },
//	  "identity": ["decision_no", "source_dept_uscc", "subject_uscc|subject_id_number|subject_reg_no|subject_name"],
//	  "decision_no": "decision_no",   // optional
//	  "decision_date": "decision_date",
//	  "source_dept": {"name": "source_dept", "uscc": "source_dept_uscc"},
//	  "row_nature": {"field": "nature", "good": ["良好"], "bad": ["不良"]}, // optional: each record's nature from a field
//	  "fields": [ {…}, … ]            // in the standard's order
//	}
//
// Every kind has the fields subject_name (text) and subject_class (enum of
// 法人及非法人组织, 自然人, 个体工商户); Record's subject accessors also read
// subject_uscc (uscc), subject_reg_no (gs15), subject_id_type (id_type) and
// subject_id_number (id_number) when present. Use the same key for the
// same concept in every kind (decision_no, decision_date, valid_to,
// authority, authority_uscc, source_dept, source_dept_uscc, remarks, …).
// uscc fields whose key does not start with subject_ are treated as
// department codes (remembered once valid).
//
// An identity entry is one key or alternatives "a|b|c": the first that is
// filled (a uscc holding the placeholder counts as empty). Publicity
// months are whole calendar months; severities are minor (轻微), general
// (一般), serious (严重).
//
// A field:
//
//	{
//	  "key": "subject_uscc",                        // snake_case, unique
//	  "code": "CF_XDR_SHXYM",                       // exchange code, unique (case-insensitive)
//	  "name": "行政相对人代码_1(统一社会信用代码)",   // Chinese name as in the standard
//	  "aliases": ["统一社会信用代码"],               // other header spellings
//	  "type": "uscc",
//	  "required": "conditional",                    // always | optional | conditional
//	  "when": {"field": "subject_class", "in": ["法人及非法人组织", "个体工商户"]},
//	  "placeholder_when": {"field": "subject_class", "in": ["个体工商户"]},
//	  "max_len": 18, "note": "…"
//	}
//
// "default" (optional text and enum fields) is the value of a row whose
// cell is empty or whose file lacks the column. "categories" (uscc) lists
// the accepted first two characters of the code (登记管理部门码 and
// 机构类别码, e.g. ["11"] for 机关): the integrity events' monitored body
// must be a government body.
//
// Name, code, key and aliases must not collide (after header
// normalization, see MatchHeader) with those of another field.
//
// # Field types
//
//   - text: any text up to max_len characters (required); no control
//     characters except tab and line breaks; valid UTF-8.
//   - enum: one of "enum", or an alias in "enum_aliases" (alias → value),
//     which normalizes to the value. With "other_spec": true, "其他"
//     followed by a specification is accepted too (其他-备案, 其他：…,
//     其他（…）); a bare "其他" only if it is itself listed in enum.
//   - multi_enum: one or more enum values separated by ；;、,， (white space
//     around items ignored). Known values are matched longest first, so a
//     value may itself contain 、 (法律、行政法规规定的其他行政处罚) but not
//     ；;,，. Unknown items are errors; duplicates are dropped; the
//     normalized value joins the items with "；". "other_spec" as for enum
//     (an item 其他（…） may contain separators inside its brackets). At
//     most 16 items.
//   - date: YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYY年M月D日 (month and day
//     may have one digit: 2024/9/5) or YYYYMMDD, optionally followed by a
//     time of day (2019-10-10 00:00:00, as spreadsheets export), which is
//     dropped. Real calendar dates only, from 1900-01-01 (or "min_date") to
//     2099-12-31; normalized to YYYY-MM-DD. "not_future": true refuses
//     dates after the day of validation; "not_before": [keys] refuses a
//     date before those date fields (when they are filled and valid).
//   - date_or_long_term: as date; 2099-12-31 (in any accepted format) and
//     the word 长期 mean long-term (790号: "2099/12/31的含义为长期") and
//     normalize to 2099-12-31 (LongTerm).
//   - decimal: a non-negative amount in "unit" (e.g. 万元) with at most
//     "scale" decimal places (default 6); thousands separators are accepted
//     only in groups of three (1,234.5); a trailing unit (0.2万元) is
//     tolerated; for 万元 a trailing 元 is refused with the converted value
//     ("2000元应填为0.2"). Normalized without commas, leading zeros or
//     trailing fractional zeros.
//   - uscc: a valid 统一社会信用代码 (GB 32100, checked by package code).
//     The placeholder 00000000000000000X only where "placeholder_when"
//     holds; never for a department.
//   - org_code: a valid 组织机构代码 (GB 11714), XXXXXXXX-X accepted and
//     normalized to 9 characters.
//   - gs15: a valid 工商注册号 (GS 15).
//   - id_type: 身份证, 护照号, 港澳居民来往内地通行证, 台湾居民来往大陆通行证,
//     外国人永久居留身份证 (built in; 居民身份证 → 身份证, 护照 → 护照号), or
//     "其他-…".
//   - id_number: with "id_type_field" naming an id_type field: when that
//     field is 身份证, a valid 公民身份号码 (GB 11643; a final lower-case x
//     is upper-cased); otherwise text up to max_len (required). Without
//     id_type_field always a 公民身份号码. Personal data: reasons never
//     quote the number or its birth date, IdentityKey hashes it.
//
// Every type also has a "max_len" (text and id_number must give one; the
// others default to their natural length).
//
// # Conditions
//
// "when" (for required: conditional) and "placeholder_when" take a
// condition:
//
//	{"field": "k", "in": ["a", "b"]}       value of k is one of these
//	{"field": "k", "not_in": ["a", "b"]}   k is filled and its value is none of these
//	{"field": "k", "present": true}        k is filled (false: empty)
//	{"all": [cond, …]}                     all hold
//	{"any": [cond, …]}                     one holds
//
// in/not_in compare normalized values (for enums the values must be listed
// in that field's enum; for multi_enum any item counts); a field that is
// invalid in the row counts as empty. present looks at the raw value.
// Rejection reasons are derived from the condition: "当行政相对人类别为
// 法人及非法人组织或个体工商户时必填". Fields are checked in an order where
// the fields a condition, id_type_field, placeholder_when or not_before
// reads come first; a cycle among them is a definition error.
//
// # Decisions for the built-in kinds (not in any official text)
//
//   - 行政许可 has nature basic (a neutral fact, not an honour), 行政处罚
//     bad; both public.
//   - Required flags the sources leave open ("?" in domain facts 1.3) are
//     set for xk as follows: 许可内容, 许可决定日期, 有效期自, 有效期至, 许可机关,
//     许可机关统一社会信用代码, 数据来源单位 and its code are required; 许可证书名称,
//     许可编号, 当前状态 optional. 法定代表人 is required for 法人及非法人组织.
//     A 个体工商户 with the placeholder code must give its 工商注册号 (the
//     registry keys such subjects by it). A filled 证件号码 needs its 证件类型
//     and the other way round.
//   - 当前状态 is free text up to 16 characters: the meaning of its codes
//     was not found.
//   - Lengths (characters): names 200, 决定书文号 128, titles and 违法行为类型
//     512, long texts (违法事实, 处罚依据, 处罚内容, 许可内容) 4000, 备注 1000, other
//     codes 32-64, ID numbers 64. They are the platform's choice.
//   - Decision dates: not after the day of validation, not before
//     1990-01-01 (an older decision in a 双公示 feed is a typing error in
//     practice; the bound is per field, min_date, so a kind may change it).
//   - 处罚类别 accepts the words of 行政处罚法 1996/2017 Art. 8 (警告, 罚款,
//     没收违法所得, 没收非法财物, 责令停产停业, 暂扣或者吊销许可证, 暂扣或者吊销执照 and
//     their parts 暂扣/吊销许可证/执照, 行政拘留, 其他) and 2021 Art. 9 (adds
//     通报批评, 暂扣许可证件, 降低资质等级, 吊销许可证件, 限制开展生产经营活动, 责令关闭,
//     限制从业, 法律、行政法规规定的其他行政处罚), several per value, and 其他-….
//   - Publicity windows of cf follow 国办发〔2025〕22号 / 令第36号 (from
//     2026-04-01): minor 0-3, general 3-12, serious 12-36 months. The
//     facts give no window for licences; xk has only the 7-working-day
//     deadline (发改办财金〔2018〕424号).
package catalog
