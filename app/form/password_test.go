package form

import "testing"

// TestNewPasswordPolicy walks NIST SP 800-63B's checks: length, common and
// leaked passwords, repetition, sequences, keyboard walks, dates, words with
// digits, and what the account is known by — each refused with its own
// reason, and passphrases of any script accepted without composition rules.
func TestNewPasswordPolicy(t *testing.T) {
	t.Parallel()
	me := []string{"M1234567", "よつやのはなこ", "hanako@example.jp"}
	for _, c := range []struct {
		password string
		want     string // catalogue id; "" is accepted
	}{
		// Length: 10 to 128 characters, counted as characters, not bytes.
		{"short", "form.err.password_short"},
		{"Kq9#mZp2L", "form.err.password_short"},
		{"ひらがなはじゅうもじ", ""},
		{runes(128), ""},
		{runes(129), "form.err.password_long"},
		// The three of the issue.
		{"aaaaaaaaaa", "form.err.password_repeated"},
		{"1234567890", "form.err.password_common"},
		{"password12", "form.err.password_common"},
		// Common and leaked passwords, also in capitals, full width or l33t.
		{"PASSWORD12", "form.err.password_common"},
		{"１２３４５６７８９０", "form.err.password_common"},
		{"P@ssw0rd2024", "form.err.password_common"},
		{"iloveyou123", "form.err.password_common"},
		{"qwertyuiop", "form.err.password_common"},
		// Repetition, whatever the length.
		{"1111122222", "form.err.password_repeated"},
		{"abcabcabcabc", "form.err.password_repeated"},
		{"あいうあいうあいうあいう", "form.err.password_repeated"},
		// Sequences, Latin and kana, forwards and backwards.
		{"abcdefghij", "form.err.password_sequence"},
		{"zyxwvutsrq", "form.err.password_sequence"},
		{"あいうえおかきくけこ", "form.err.password_sequence"},
		{"コケクキカオエウイア", "form.err.password_sequence"},
		// Keyboard walks, dates, a word with digits.
		{"zxcvbnm,./", "form.err.password_keyboard"},
		{"asdfghjkl;", "form.err.password_keyboard"},
		{"19850315ab", "form.err.password_date"},
		{"shinjuku1234", "form.err.password_words"},
		{"tanaka1975", "form.err.password_words"},
		// What the account is known by: login ID, handle name, e-mail
		// address and its name part, in any case or width.
		{"m1234567-secret", "form.err.password_personal"},
		{"Ｍ１２３４５６７ちゃん", "form.err.password_personal"},
		{"よつやのはなこ大好き", "form.err.password_personal"},
		{"HANAKO@EXAMPLE.JP", "form.err.password_personal"},
		{"hanako-no-himitsu", "form.err.password_personal"},
		// Accepted: no digit, capital or symbol is required.
		{"correct horse battery staple", ""},
		{"しんじゅく公園の桜が好き", ""},
		{"あたらしいパスワード123", ""},
		{"yamada-tarou", ""},
		{"Yotsuya-e2e-2026", ""},
		{"x7Kq9mZp2L", ""},
	} {
		np := NewPassword{Password: c.password, Confirm: c.password}
		if got := np.Validate(me...)["password"]; got != c.want {
			t.Errorf("%q: %q, want %q", c.password, got, c.want)
		}
	}

	// The confirmation is its own field's problem.
	e := (&NewPassword{Password: "correct horse battery staple", Confirm: "correct horse battery"}).Validate(me...)
	if len(e) != 1 || e["confirm"] != "form.err.password_mismatch" {
		t.Errorf("mismatch: %v", e)
	}
	// Identifiers too short to mean anything are not looked for.
	if e := (&NewPassword{Password: "jo-likes-green-tea", Confirm: "jo-likes-green-tea"}).Validate("jo@example.jp"); e.Any() {
		t.Errorf("a two-letter e-mail name refuses %v", e)
	}
}

// runes is the first n characters of a long passphrase.
func runes(n int) string {
	const phrase = "いろはにほへとちりぬるをわかよたれそつねならむうゐのおくやまけふこえてあさきゆめみしゑひもせす " +
		"the quick brown fox jumps over the lazy dog by the pond of shinjuku gyoen while cherry petals fall"
	r := []rune(phrase)
	if len(r) < n {
		panic("phrase too short")
	}
	return string(r[:n])
}
