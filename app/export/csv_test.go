package export

import (
	"bytes"
	"encoding/csv"
	"io"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"
)

func TestWriteCSV(t *testing.T) {
	t.Parallel()
	rows := [][]string{{"氏名", "電話", "メモ"}, {"髙橋 花子", "03-1234-5678", "=HYPERLINK(\"x\")"}, {"🍙 太郎", "+81", "a,b\n\"c\""}}
	var u bytes.Buffer
	if err := WriteCSV(&u, UTF8BOM, rows); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(u.Bytes(), []byte("\xEF\xBB\xBF")) {
		t.Fatal("no byte-order mark")
	}
	got, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(u.String(), "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got[1][2] != "'=HYPERLINK(\"x\")" || got[2][1] != "'+81" || got[2][2] != "a,b\n\"c\"" || got[1][0] != "髙橋 花子" {
		t.Errorf("UTF-8 rows %q", got)
	}
	if !strings.Contains(u.String(), "\r\n") {
		t.Error("lines do not end with CRLF")
	}

	var s bytes.Buffer
	if err := WriteCSV(&s, CP932, rows); err != nil {
		t.Fatal(err)
	}
	dec, err := japanese.ShiftJIS.NewDecoder().Bytes(s.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	got, err = csv.NewReader(bytes.NewReader(dec)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// 髙 is in CP932 (an IBM extension); the emoji is not.
	if got[1][0] != "髙橋 花子" || got[2][0] != "〓 太郎" || got[0][0] != "氏名" {
		t.Errorf("CP932 rows %q", got)
	}
}

func TestSafeCell(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "", "=1+1": "'=1+1", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)", "\t=1": "'\t=1", "山田": "山田", "03-1": "03-1"} {
		if got := SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCSVReportsWhatCP932CannotHold(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	c, err := NewCSV(&b, CP932)
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]string{{"氏名", "メモ"}, {"𠮷田 𠮷子", "〜ここまで−5℃"}, {"髙橋", "🍙と🍙"}}
	for _, r := range rows {
		if err := c.Strings(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	rep := c.Report()
	want := []Problem{{Row: 1, Column: 0, Chars: "𠮷"}, {Row: 2, Column: 1, Chars: "🍙"}}
	if rep.Cells != 2 || len(rep.First) != 2 || rep.First[0] != want[0] || rep.First[1] != want[1] {
		t.Fatalf("report %+v, want %+v", rep, want)
	}
	dec, err := japanese.ShiftJIS.NewDecoder().String(b.String())
	if err != nil {
		t.Fatal(err)
	}
	// The wave dash and minus sign typed on a Mac are written as the
	// characters Windows shows the same way, not reported.
	if wantText := "氏名,メモ\r\n〓田 〓子,～ここまで－5℃\r\n髙橋,〓と〓\r\n"; dec != wantText {
		t.Errorf("decoded %q, want %q", dec, wantText)
	}
}

func TestCSVReportListsAtMostMaxProblems(t *testing.T) {
	t.Parallel()
	c, _ := NewCSV(io.Discard, CP932)
	for range MaxProblems + 20 {
		c.Strings([]string{"🍙"})
	}
	if rep := c.Report(); rep.Cells != MaxProblems+20 || len(rep.First) != MaxProblems {
		t.Errorf("cells %d, listed %d", rep.Cells, len(rep.First))
	}
}

func TestCSVMatchesEncodingCSV(t *testing.T) {
	t.Parallel()
	// Whatever the quoting rule, the standard reader gets the cells back
	// (formula starts apart, which gain an apostrophe).
	cells := []string{"", " lead", "trail ", "a\"b", "a,b", "a\nb", "a\r\nb", "plain", "日本語", "\"", "'quoted"}
	var b bytes.Buffer
	if err := WriteCSV(&b, UTF8BOM, [][]string{cells}); err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\uFEFF"))).Read()
	if err != nil {
		t.Fatal(err)
	}
	for i := range cells {
		want := strings.ReplaceAll(cells[i], "\r\n", "\n") // encoding/csv reads CRLF inside a field as LF
		if got[i] != want {
			t.Errorf("cell %d: got %q, want %q", i, got[i], want)
		}
	}
}
