// Package export writes the files staff and organisers take to Excel.
package export

import (
	"bytes"
	"encoding/csv"
	"io"
	"strings"

	"golang.org/x/text/encoding/japanese"
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

// unrepresentable stands in for a character CP932 lacks (an emoji, a rare
// kanji): the geta mark, as Japanese printing does.
const unrepresentable = "〓"

// SafeCell keeps a spreadsheet from reading a cell as a formula: text that
// starts with = + - @ (or a tab or carriage return that hides one) gets a
// leading apostrophe, which Excel shows as text and does not display.
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteCSV writes rows (the header first) as CSV in enc with CRLF line
// ends, every cell made safe.
func WriteCSV(w io.Writer, enc string, rows [][]string) error {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	for _, row := range rows {
		safe := make([]string, len(row))
		for i, c := range row {
			safe[i] = SafeCell(c)
		}
		if err := cw.Write(safe); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if enc == UTF8BOM {
		if _, err := w.Write([]byte("\uFEFF")); err != nil {
			return err
		}
		_, err := w.Write(buf.Bytes())
		return err
	}
	_, err := w.Write(toCP932(buf.String()))
	return err
}

// toCP932 encodes s, replacing what CP932 cannot hold.
func toCP932(s string) []byte {
	enc := japanese.ShiftJIS.NewEncoder()
	if b, err := enc.Bytes([]byte(s)); err == nil {
		return b
	}
	var out []byte
	for _, r := range s {
		b, err := enc.Bytes([]byte(string(r)))
		if err != nil {
			b, _ = enc.Bytes([]byte(unrepresentable))
		}
		out = append(out, b...)
	}
	return out
}
