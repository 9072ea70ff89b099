package form

import "testing"

func TestText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"  山田　太郎 ":        "山田 太郎",
		"ＡＢＣ１２３":          "ABC123",
		"ｶﾞｸｾｲ":           "ガクセイ",
		"西新宿２丁目３番４号":      "西新宿2丁目3番4号",
		"a\u200bb\x07c":   "abc",
		"tab\there\nline": "tab here line",
		"":                "",
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDigits(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"０３ー１２３４ー５６７８":  "03-1234-5678",
		"03−1234−5678":  "03-1234-5678",
		"090 1234 5678": "09012345678",
		"(03)1234-5678": "03-1234-5678",
		"１６０－００２３":      "160-0023",
		"160ｰ0023":      "160-0023",
	} {
		if got := Digits(in); got != want {
			t.Errorf("Digits(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestKatakana(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"やまだ　はなこ":  "ヤマダ ハナコ",
		"ﾔﾏﾀﾞ ﾊﾅｺ": "ヤマダ ハナコ",
		"サトウ・ケン":   "サトウ・ケン",
	} {
		got := Katakana(in)
		if got != want {
			t.Errorf("Katakana(%q) = %q, want %q", in, got, want)
		}
		if !IsKatakana(got) {
			t.Errorf("IsKatakana(%q) = false", got)
		}
	}
	for _, bad := range []string{"山田", "Yamada", "ヤマダ1", ""} {
		if IsKatakana(bad) {
			t.Errorf("IsKatakana(%q) = true", bad)
		}
	}
}

func TestMultiline(t *testing.T) {
	t.Parallel()
	if got := Multiline("\r\n１行目  \r\n\r\n２行目\u3000\n"); got != "1行目\n\n2行目" {
		t.Errorf("Multiline = %q", got)
	}
	if got := Multiline("一\r\n\r\n\r\n\n二\u200B\x07\r三\t"); got != "一\n\n二\n三" {
		t.Errorf("Multiline = %q", got)
	}
}

func TestFields(t *testing.T) {
	t.Parallel()
	pc := []struct {
		in, want string
		ok       bool
	}{
		{"１６０００２３", "160-0023", true},
		{"160-0023", "160-0023", true},
		{"160-023", "160-023", false},
		{"〒160-0023", "〒160-0023", false},
	}
	for _, c := range pc {
		if got, ok := PostalCode(c.in); got != c.want || ok != c.ok {
			t.Errorf("PostalCode(%q) = %q, %v", c.in, got, ok)
		}
	}
	ph := []struct {
		in, want string
		ok       bool
	}{
		{"０３ー５２７３ー４１２１", "03-5273-4121", true},
		{"090-1234-5678", "090-1234-5678", true},
		{"0312345678", "0312345678", true},
		{"03-1234-567", "03-1234-567", false},
		{"12-3456-7890", "12-3456-7890", false},
		{"03-1234-56789", "03-1234-56789", false},
	}
	for _, c := range ph {
		if got, ok := Phone(c.in); got != c.want || ok != c.ok {
			t.Errorf("Phone(%q) = %q, %v", c.in, got, ok)
		}
	}
	em := []struct {
		in, want string
		ok       bool
	}{
		{"Hanako@Example.JP", "Hanako@example.jp", true},
		{"ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ", "hanako@example.jp", true},
		{"Hanako <h@example.jp>", "Hanako <h@example.jp>", false},
		{"h@localhost", "h@localhost", false},
		{"not an email", "not an email", false},
	}
	for _, c := range em {
		if got, ok := Email(c.in); got != c.want || ok != c.ok {
			t.Errorf("Email(%q) = %q, %v", c.in, got, ok)
		}
	}
}
