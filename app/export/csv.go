// Package export writes the files staff and organisers take to Excel: CSV
// in CP932 or UTF-8 with a byte-order mark, and XLSX, one row at a time so
// that a 350,000-row member list never sits in memory.
package export

import (
	"bufio"
	"io"
	"strings"
)

// Encodings of a CSV file. Excel in Japan opens CP932 (Shift_JIS as
// Windows has it) by double-click; UTF-8 needs the byte-order mark, and
// keeps every character.
const (
	CP932   = "cp932"
	UTF8BOM = "utf8"
)

// Encoding picks the encoding a request names; CP932 unless UTF-8 is asked for.
func Encoding(name string) string {
	if name == UTF8BOM {
		return UTF8BOM
	}
	return CP932
}

// Writer takes a table one row at a time; Close finishes the file.
type Writer interface {
	Row(cells [][]byte) error
	Close() error
	// Report says which cells the format could not hold as they are.
	Report() Report
}

// Problem is a cell whose characters CP932 cannot hold; they were written
// as the geta mark 〓.
type Problem struct {
	Row    int64  `json:"row"` // data row, 1 for the first row after the header
	Column int    `json:"column"`
	Chars  string `json:"chars"` // the characters replaced, each once
}

// MaxProblems is how many problem cells a Report lists; it counts them all.
const MaxProblems = 100

// Report is what a writer could not keep: Cells counts every cell with a
// replaced character, First lists the first MaxProblems of them.
type Report struct {
	Cells int64
	First []Problem
}

func (r *Report) add(row int64, col int, chars string) {
	r.Cells++
	if len(r.First) < MaxProblems {
		r.First = append(r.First, Problem{Row: row, Column: col, Chars: chars})
	}
}

// isFormulaStart says whether a spreadsheet would read a cell starting with
// b as a formula (or a tab or carriage return that hides one).
func isFormulaStart(b byte) bool { return strings.IndexByte("=+-@\t\r", b) >= 0 }

// SafeCell keeps a spreadsheet from reading a cell as a formula: text that
// starts with = + - @ (or a tab or carriage return that hides one) gets a
// leading apostrophe, which marks it as text.
func SafeCell(s string) string {
	if s != "" && isFormulaStart(s[0]) {
		return "'" + s
	}
	return s
}

// CSV writes RFC 4180 CSV with CRLF line ends for Excel, every cell made
// safe, in CP932 (characters it lacks are reported and written as 〓) or in
// UTF-8 after a byte-order mark.
type CSV struct {
	w      *bufio.Writer
	cp932  bool
	row    int64 // rows written, the header included
	report Report
	miss   []rune // scratch: the characters of the current cell CP932 lacks
}

// NewCSV starts a CSV file on w in enc.
func NewCSV(w io.Writer, enc string) (*CSV, error) {
	c := &CSV{w: bufio.NewWriterSize(w, 64<<10), cp932: enc != UTF8BOM}
	if !c.cp932 {
		if _, err := c.w.WriteString("\uFEFF"); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Row writes one line.
func (c *CSV) Row(cells [][]byte) error {
	for i, cell := range cells {
		if i > 0 {
			c.w.WriteByte(',')
		}
		c.cell(i, cell)
	}
	_, err := c.w.WriteString("\r\n")
	c.row++
	return err
}

// Strings writes one line of strings (a header, say).
func (c *CSV) Strings(cells []string) error {
	b := make([][]byte, len(cells))
	for i, s := range cells {
		b[i] = []byte(s)
	}
	return c.Row(b)
}

// cell writes one field, quoted when it holds a comma, quote or line break
// or starts with a space (as encoding/csv does), apostrophe-prefixed when a
// spreadsheet would take it for a formula.
func (c *CSV) cell(col int, v []byte) {
	quote := len(v) > 0 && v[0] == ' '
	for _, b := range v {
		if b == ',' || b == '"' || b == '\r' || b == '\n' {
			quote = true
			break
		}
	}
	if quote {
		c.w.WriteByte('"')
	}
	if len(v) > 0 && isFormulaStart(v[0]) {
		c.w.WriteByte('\'')
	}
	start := 0
	for i, b := range v {
		if b == '"' {
			c.text(v[start : i+1])
			c.w.WriteByte('"')
			start = i + 1
		}
	}
	c.text(v[start:])
	if quote {
		c.w.WriteByte('"')
	}
	if len(c.miss) > 0 {
		c.report.add(c.row, col, string(c.miss))
		c.miss = c.miss[:0]
	}
}

// text writes UTF-8 bytes in the file's encoding.
func (c *CSV) text(v []byte) {
	if !c.cp932 {
		c.w.Write(v)
		return
	}
	c.miss = appendCP932(c.w, v, c.miss)
}

// Close flushes what is buffered.
func (c *CSV) Close() error { return c.w.Flush() }

// Report lists the cells CP932 could not hold.
func (c *CSV) Report() Report { return c.report }

// WriteCSV writes rows (the header first) as CSV in enc with CRLF line
// ends, every cell made safe.
func WriteCSV(w io.Writer, enc string, rows [][]string) error {
	c, err := NewCSV(w, enc)
	if err != nil {
		return err
	}
	for _, row := range rows {
		if err := c.Strings(row); err != nil {
			return err
		}
	}
	return c.Close()
}
