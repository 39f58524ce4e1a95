package ledger

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/store"
)

// TableTitle is the monthly progress table's title (陕发改财金〔2017〕550号
// 三(二): 各设区市、省级各有关部门每月填报).
const TableTitle = "信用信息共享共用重点工作进展情况统计表"

// TableHeader are the table's columns. The attachment of 550号 that laid
// the table out was not found: these columns are the platform's (see
// docs/decisions.md), the figures of the reporting ledger.
var TableHeader = []string{"序号", "地区", "报送单位", "信息类别", "台账方式", "应报", "已报", "上报率", "及时", "迟报", "及时率",
	"漏报", "瞒报", "接收", "退回", "合格率", "退回已补正", "退回待补正", "本月未更新"}

func modeLabel(m store.PlanMode) string {
	switch m {
	case store.PlanRegister:
		return "决定台账"
	case store.PlanVolume:
		return "申报数量"
	}
	return "未建台账"
}

func itoa(n int) string { return strconv.Itoa(n) }

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// cells are a row's cells after 序号, 地区 and 报送单位 (4 onwards).
func cells(r Row, mode string, noUpdate string) []string {
	return []string{r.KindName, mode, itoa(r.Expected), itoa(r.Reported), r.ReportRate().String(), itoa(r.OnTime), itoa(r.Late),
		r.TimelyRate().String(), itoa(r.Missing), itoa(r.Concealed), itoa(r.Received), itoa(r.Rejected), r.PassRate().String(),
		itoa(r.Fixed), itoa(r.Open), noUpdate}
}

// Line is a line of the monthly table: its cells, and the department row
// it shows (nil for a region's subtotal and the total).
type Line struct {
	Cells []string
	Row   *Row
}

// Lines are the monthly progress table: a line per department and kind, a
// subtotal per region, the total last. The page, the CSV and the XLSX
// show exactly these cells.
func (rep Report) Lines() []Line {
	var out []Line
	n := 0
	region := ""
	flush := func(name string) {
		for _, t := range rep.Regions {
			if t.Name == name {
				out = append(out, Line{Cells: append([]string{"", name, "小计"}, cells(t.Row, "", itoa(t.NoUpdates()))...)})
			}
		}
	}
	for i := range rep.Rows {
		r := &rep.Rows[i]
		name := r.Region
		if name == "" {
			name = "未归属行政区"
		}
		if i > 0 && name != region {
			flush(region)
		}
		region = name
		n++
		noUpdate := "—"
		if r.Monthly {
			noUpdate = yesNo(r.NoUpdate)
		}
		out = append(out, Line{Cells: append([]string{itoa(n), name, r.DeptName}, cells(*r, modeLabel(r.Mode), noUpdate)...), Row: r})
	}
	if len(rep.Rows) > 0 {
		flush(region)
	}
	out = append(out, Line{Cells: append([]string{"", "", rep.Total.Name}, cells(rep.Total.Row, "", itoa(rep.Total.NoUpdates()))...)})
	return out
}

// Table is the cells of Lines.
func (rep Report) Table() [][]string {
	lines := rep.Lines()
	out := make([][]string, len(lines))
	for i, l := range lines {
		out[i] = l.Cells
	}
	return out
}

// Caption is the line under the title: the month, the scope and when the
// figures were made (China time).
func (rep Report) Caption() string {
	scope := rep.Scope.Name
	if scope == "" {
		scope = "全部"
	}
	return fmt.Sprintf("统计月份：%s　统计范围：%s　生成时间：%s", MonthLabel(rep.Month), scope,
		rep.Generated.In(calendar.Location()).Format("2006-01-02 15:04"))
}

// WriteCSV writes the table as CSV, UTF-8 with a byte order mark (for
// spreadsheet programs): the title, the caption, the header and the rows.
func (rep Report) WriteCSV(w io.Writer) error {
	b := bufio.NewWriter(w)
	b.WriteString("\ufeff")
	c := csv.NewWriter(b)
	c.Write([]string{TableTitle})
	c.Write([]string{rep.Caption()})
	c.Write(TableHeader)
	c.WriteAll(rep.Table())
	if err := c.Error(); err != nil {
		return err
	}
	return b.Flush()
}

// SheetName is the XLSX table's sheet.
const SheetName = "统计表"

// WriteXLSX writes the table as an XLSX workbook: the title merged over
// the columns in row 1, the caption in row 2, the header in row 3, the
// rows from row 4; counts are numbers, rates text as on the page.
func (rep Report) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetName); err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(len(TableHeader))
	set := func(cell string, v any) error { return f.SetCellValue(SheetName, cell, v) }
	if err := set("A1", TableTitle); err != nil {
		return err
	}
	if err := f.MergeCell(SheetName, "A1", last+"1"); err != nil {
		return err
	}
	if err := set("A2", rep.Caption()); err != nil {
		return err
	}
	if err := f.MergeCell(SheetName, "A2", last+"2"); err != nil {
		return err
	}
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}, Alignment: &excelize.Alignment{Horizontal: "center"}})
	if err != nil {
		return err
	}
	if err := f.SetCellStyle(SheetName, "A1", "A1", title); err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Horizontal: "center", WrapText: true},
		Border: []excelize.Border{{Type: "bottom", Color: "000000", Style: 1}}})
	if err != nil {
		return err
	}
	for j, h := range TableHeader {
		cell, _ := excelize.CoordinatesToCellName(j+1, 3)
		if err := set(cell, h); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(SheetName, "A3", last+"3", head); err != nil {
		return err
	}
	for i, row := range rep.Table() {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+4)
			var val any = v
			if n, err := strconv.Atoi(v); err == nil && j != 0 {
				val = n
			} else if j == 0 && v != "" {
				val, _ = strconv.Atoi(v)
			}
			if err := set(cell, val); err != nil {
				return err
			}
		}
	}
	if err := f.SetColWidth(SheetName, "B", "D", 18); err != nil {
		return err
	}
	if err := f.SetPanes(SheetName, &excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return f.Write(w)
}
