package ingest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// newJSONLines reads JSON lines, one object per record (blank lines
// skipped), into a table (ObjectsTable). Keys starting with "_" (the
// metadata xinyong export --meta adds) are left out.
func newJSONLines(r io.Reader) (Table, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var objects []map[string]any
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		var o map[string]any
		if err := json.Unmarshal(b, &o); err != nil {
			return nil, fmt.Errorf("第%d行不是JSON对象：%v", line, err)
		}
		for k := range o {
			if len(k) > 0 && k[0] == '_' {
				delete(o, k)
			}
		}
		objects = append(objects, o)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return ObjectsTable(objects)
}

// ObjectsTable turns JSON objects (field name, exchange code or key →
// value) into a table: the header is every key in order of first
// appearance, and a missing key is an empty value. Strings are taken as
// they are, numbers in their shortest decimal form; anything else is an
// error naming the object and key (1-based object numbers, as rows).
func ObjectsTable(objects []map[string]any) (Table, error) {
	var header []string
	col := map[string]int{}
	for _, o := range objects {
		for k := range o {
			if _, ok := col[k]; !ok {
				col[k] = -1
			}
		}
	}
	// Map iteration order is random: order the header by the first object
	// that has each key, then by name, so that results are reproducible.
	for _, o := range objects {
		keys := make([]string, 0, len(o))
		for k := range o {
			if col[k] < 0 {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			col[k] = len(header)
			header = append(header, k)
		}
	}
	rows := make([][]string, len(objects))
	for i, o := range objects {
		row := make([]string, len(header))
		for k, v := range o {
			s, err := jsonScalar(v)
			if err != nil {
				return nil, fmt.Errorf("第%d条记录的“%s”：%w", i+1, k, err)
			}
			row[col[k]] = s
		}
		rows[i] = row
	}
	return NewRowsTable(header, rows), nil
}

func jsonScalar(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	}
	return "", fmt.Errorf("值应为字符串或数字")
}
