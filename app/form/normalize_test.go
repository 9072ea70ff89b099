package form

import (
	"testing"
	"time"
)

func TestTextKeepsWhatWasTypedAndFoldFoldsIdentifiers(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, text, fold string }{
		{"  山田　太郎 ", "山田 太郎", "山田 太郎"},
		{"夏祭り！（雨天決行）：受付中", "夏祭り！（雨天決行）：受付中", "夏祭り!(雨天決行):受付中"},
		{"ＡＢＣ１２３", "ＡＢＣ１２３", "ABC123"},
		{"ｶﾞｸｾｲ", "ｶﾞｸｾｲ", "ガクセイ"},
		{"西新宿２丁目３番４号", "西新宿２丁目３番４号", "西新宿2丁目3番4号"},
		{"「ご案内」～参加費￥５００～", "「ご案内」～参加費￥５００～", "「ご案内」~参加費¥500~"},
		{"か\u3099き\u309Aく", "がき\u309Aく", "がき\u309Aく"}, // NFC composes what has a composed form
		{"a\u200bb\x07c", "abc", "abc"},
		{"tab\there\nline", "tab here line", "tab here line"},
		{"", "", ""},
	} {
		if got := Text(c.in); got != c.text {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.text)
		}
		if got := Fold(c.in); got != c.fold {
			t.Errorf("Fold(%q) = %q, want %q", c.in, got, c.fold)
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
	for in, want := range map[string]string{
		"\r\n１行目  \r\n\r\n２行目\u3000\n":          "１行目\n\n２行目",
		"\u3000お知らせ！（重要）\n\u3000ＡＢＣ：ｶﾅ\u3000\n": "\u3000お知らせ！（重要）\n\u3000ＡＢＣ：ｶﾅ",
		"か\u3099\r\nき": "が\nき",
	} {
		if got := Multiline(in); got != want {
			t.Errorf("Multiline(%q) = %q, want %q", in, got, want)
		}
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

// TestFormsKeepFreeTextAsTyped goes through each form's Normalize: what a
// resident or organiser writes in their own words keeps its full-width
// punctuation and letters, while identifiers, dates and numbers are folded.
func TestFormsKeepFreeTextAsTyped(t *testing.T) {
	t.Parallel()
	const typed = "夏祭り！（雨天決行）：ＡＢＣ"
	post := Post{Title: " " + typed + " ", Body: typed + "\r\n\u3000二行目？", Topic: true}
	post.Normalize()
	ev := Event{Title: typed, Description: typed, Category: "防災（地域）", Town: "四谷", Venue: "区民センター（２階）",
		Fee: "５００円（資料代）", Contact: "担当：山田", Date: "２０２６－１２－０１", Start: "１０：００", End: "１２：００",
		ApplyUntil: "２０２６－１１－３０", Capacity: "３０", Waitlist: "５", Facility: "１２"}
	ev.Normalize()
	prof := Profile{Name: "ＪＯＨＮ　山田！", NameKana: "ｼﾞｮﾝ ﾔﾏﾀﾞ", PostalCode: "１６００００４", Address: "四谷１－２－３（コーポ）",
		Phone: "０３（１２３４）５６７８", Email: "ＪＯＨＮ＠Example.JP", Handle: "じょん！（四谷）"}
	prof.Normalize()
	group := GroupAccount{Name: "四谷こども食堂（ＮＰＯ）", LoginID: "ＹＯＴＳＵＹＡ－ｋｏｄｏｍｏ"}
	group.Normalize()
	exp := MemberExport{Town: "四谷", Purpose: "案内状（はがき）の送付！", From: "２０２６－０４－０１", Event: "１２"}
	exp.Normalize()
	for _, c := range []struct{ name, got, want string }{
		{"post title", post.Title, typed},
		{"post body", post.Body, typed + "\n\u3000二行目？"},
		{"event title", ev.Title, typed},
		{"event description", ev.Description, typed},
		{"event category", ev.Category, "防災（地域）"},
		{"event venue", ev.Venue, "区民センター（２階）"},
		{"event fee", ev.Fee, "５００円（資料代）"},
		{"event contact", ev.Contact, "担当：山田"},
		{"event date", ev.Date, "2026-12-01"},
		{"event start", ev.Start, "10:00"},
		{"event apply until", ev.ApplyUntil, "2026-11-30"},
		{"event capacity", ev.Capacity, "30"},
		{"event waitlist", ev.Waitlist, "5"},
		{"event facility", ev.Facility, "12"},
		{"name", prof.Name, "ＪＯＨＮ 山田！"},
		{"handle", prof.Handle, "じょん！（四谷）"},
		{"kana name", prof.NameKana, "ジョン ヤマダ"},
		{"postal code", prof.PostalCode, "160-0004"},
		{"address", prof.Address, "四谷1-2-3(コーポ)"},
		{"phone", prof.Phone, "03-1234-5678"},
		{"e-mail", prof.Email, "JOHN@example.jp"},
		{"group name", group.Name, "四谷こども食堂（ＮＰＯ）"},
		{"group login ID", group.LoginID, "yotsuya-kodomo"},
		{"export purpose", exp.Purpose, "案内状（はがき）の送付！"},
		{"export from", exp.From, "2026-04-01"},
		{"export event", exp.Event, "12"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestDatesAndNumbersWithinRange(t *testing.T) {
	t.Parallel()
	jst := time.FixedZone("JST", 9*3600)
	for in, ok := range map[string]bool{
		"2026-12-01": true, "２０２６－１２－０１": true, "1900-01-01": true, "2199-12-31": true,
		"0000-01-01": false, "0001-01-01": false, "1899-12-31": false, "2200-01-01": false, "2026-02-30": false, "12/01": false, "": false,
	} {
		if _, got := Date(in, jst); got != ok {
			t.Errorf("Date(%q) ok = %v, want %v", in, got, ok)
		}
	}
	for in, ok := range map[string]bool{"2026-11": true, "２０２６－１１": true, "0000-01": false, "2026-13": false, "2026-1": false} {
		if _, got := Month(in, jst); got != ok {
			t.Errorf("Month(%q) ok = %v, want %v", in, got, ok)
		}
	}
	for _, c := range []struct {
		in       string
		min, max int
		n        int
		ok       bool
	}{
		{"30", 1, 99999, 30, true},
		{"３０", 1, 99999, 30, true},
		{"-5", 1, 99999, -5, false},
		{"0", 1, 99999, 0, false},
		{"0", 0, 9999, 0, true},
		{"99999", 1, 99999, 99999, true},
		{"100000", 1, 99999, 100000, false},
		{"3000000000", 1, 99999, 3000000000, false},
		{"99999999999999999999999", 0, 9999, 0, false},
		{"5人", 1, 99999, 0, false},
		{"", 0, 9999, 0, false},
	} {
		if n, ok := Int(c.in, c.min, c.max); ok != c.ok || (ok && n != c.n) {
			t.Errorf("Int(%q, %d, %d) = %d, %v; want %d, %v", c.in, c.min, c.max, n, ok, c.n, c.ok)
		}
	}
	for in, ok := range map[string]bool{"12": true, "１２": true, "0": false, "-5": false, "9223372036854775808": false, "a": false} {
		if _, got := ID(in); got != ok {
			t.Errorf("ID(%q) ok = %v, want %v", in, got, ok)
		}
	}
}
