package export

import (
	"bytes"
	"encoding/csv"
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
