package export

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/japanese"
)

// exportSeeds are cells a member list may hold when a resident typed them
// (or someone typed them to attack the staff member who opens the file).
var exportSeeds = [][2]string{
	{"", ""}, {"山田 太郎", "03-1234-5678"}, {"=HYPERLINK(\"https://evil.example\")", "+1"}, {"-2+3", "@SUM(A1)"},
	{"\t=1+1", "\r=1"}, {" =1", "'=1"}, {"a,b", "a\"b"}, {"a\r\nb", "a\nb\rc"}, {"𠮷田", "髙橋 ①"}, {"\x00\x01", "\xff\xfe"},
	{"\"", ","}, {"＝1+1", "＋81"}, {"DDE(\"cmd\")", "=cmd|' /C calc'!A0"},
}

// FuzzCSV: any two cells come back from the standard reader as written,
// except that a cell a spreadsheet would take for a formula starts with an
// apostrophe (and CRLF inside a cell reads as LF); in CP932 the file
// decodes and has the same shape, unknown characters written as 〓. No
// cell of either file starts a formula.
func FuzzCSV(f *testing.F) {
	for _, s := range exportSeeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, enc := range []string{UTF8BOM, CP932} {
			var buf bytes.Buffer
			if err := WriteCSV(&buf, enc, [][]string{{"見出し", "2"}, {a, b}}); err != nil {
				t.Fatal(err)
			}
			text := strings.TrimPrefix(buf.String(), "\uFEFF")
			if enc == CP932 {
				dec, err := japanese.ShiftJIS.NewDecoder().String(text)
				if err != nil {
					t.Fatalf("the CP932 file does not decode: %v", err)
				}
				text = dec
			}
			r := csv.NewReader(strings.NewReader(text))
			r.FieldsPerRecord = 2
			rows, err := r.ReadAll()
			if err != nil || len(rows) != 2 {
				t.Fatalf("%s: %q, %q: read back %d rows, %v", enc, a, b, len(rows), err)
			}
			for i, in := range []string{a, b} {
				got := rows[1][i]
				if got != "" && isFormulaStart(got[0]) {
					t.Errorf("%s: cell %q starts a formula in the file: %q", enc, in, got)
				}
				if enc != UTF8BOM {
					continue
				}
				want := strings.ReplaceAll(SafeCell(in), "\r\n", "\n")
				if got != want {
					t.Errorf("cell %q read back as %q, want %q", in, got, want)
				}
			}
		}
	})
}

// FuzzXLSX: any two cells come back from excelize as written (characters
// XML cannot carry, and broken UTF-8, as U+FFFD), always as text, never as
// a formula, and the sheet name survives.
func FuzzXLSX(f *testing.F) {
	for _, s := range exportSeeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		var buf bytes.Buffer
		x, err := NewXLSX(&buf, "名簿")
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range [][]string{{"見出し", "2"}, {a, b}} {
			if err := x.Row([][]byte{[]byte(row[0]), []byte(row[1])}); err != nil {
				t.Fatal(err)
			}
		}
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		book, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatalf("%q, %q: the workbook does not open: %v", a, b, err)
		}
		defer book.Close()
		for i, in := range []string{a, b} {
			cell := []string{"A2", "B2"}[i]
			got, err := book.GetCellValue("名簿", cell)
			if err != nil {
				t.Fatal(err)
			}
			if want := xmlText(in); got != want {
				t.Errorf("cell %q read back as %q, want %q", in, got, want)
			}
			if formula, _ := book.GetCellFormula("名簿", cell); formula != "" {
				t.Errorf("cell %q became the formula %q", in, formula)
			}
		}
	})
}

// xmlText is s as XML text can carry it: every character outside XML's
// range, and every byte of broken UTF-8, as U+FFFD.
func xmlText(s string) string {
	var b strings.Builder
	for _, r := range s {
		ok := r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
		if !ok || r == utf8.RuneError {
			r = '\uFFFD'
		}
		b.WriteRune(r)
	}
	return b.String()
}
