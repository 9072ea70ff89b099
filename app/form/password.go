package form

import (
	"strings"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/match"
	"golang.org/x/text/unicode/norm"
)

// Password policy after NIST SP 800-63B (5.1.1.2): a length range and a
// check against passwords an attacker tries first, and no composition rules
// (no required digits, capitals or symbols), which only push people to
// Password1!. Any character may be used, Japanese included.
const (
	// minGuesses is how many guesses the password must be expected to
	// take: zxcvbn's score 3 ("safely unguessable"). Below it, a password
	// falls to an attacker who tries the common passwords, words, names,
	// dates, keyboard walks and their usual variations first.
	minGuesses = 1e8
	// minDistinct: fewer different characters than this is a repetition
	// (aaaaaaaaaa, 1111122222, あいうあいうあいう) however long.
	minDistinct = 5
	// minPersonal: identifiers shorter than this are not looked for inside
	// the password (a two-letter e-mail name would refuse half the words).
	minPersonal = 4
	// minKanaRun: this many kana in 五十音 order (あいうえお, アイウエオ)
	// count as a sequence, which zxcvbn (Unicode code points) misses.
	minKanaRun = 5
)

// Catalogue ids of the reasons a new password is refused, one per field.
const (
	errPasswordShort     = "form.err.password_short"
	errPasswordLong      = "form.err.password_long"
	errPasswordPersonal  = "form.err.password_personal"
	errPasswordCommon    = "form.err.password_common"
	errPasswordRepeated  = "form.err.password_repeated"
	errPasswordSequence  = "form.err.password_sequence"
	errPasswordKeyboard  = "form.err.password_keyboard"
	errPasswordDate      = "form.err.password_date"
	errPasswordWords     = "form.err.password_words"
	errPasswordGuessable = "form.err.password_guessable"
	errPasswordMismatch  = "form.err.password_mismatch"
)

// NewPassword is a password being set, typed twice.
type NewPassword struct {
	Password string
	Confirm  string
}

// Validate checks the length, the confirmation, and that the password is not
// one an attacker would try early: common or leaked passwords, repetitions,
// sequences, keyboard walks, dates, words and names with a digit or two, or
// anything containing personal, which are what the account is known by
// (login ID, e-mail address, handle name).
func (p *NewPassword) Validate(personal ...string) Errors {
	e := Errors{}
	if reason := PasswordProblem(p.Password, personal...); reason != "" {
		e.Add("password", reason)
	}
	if p.Confirm != p.Password {
		e.Add("confirm", errPasswordMismatch)
	}
	return e
}

// PasswordProblem returns the catalogue id saying why pw may not be used, or
// "" when it may.
func PasswordProblem(pw string, personal ...string) string {
	switch n := utf8.RuneCountInString(pw); {
	case n < PasswordMin:
		return errPasswordShort
	case n > PasswordMax:
		return errPasswordLong
	}
	// Judge what a person would type again: full-width letters and digits
	// are the half-width ones, capitals are no secret.
	folded := strings.ToLower(norm.NFKC.String(pw))
	var inputs []string
	for _, s := range personal {
		s = strings.ToLower(norm.NFKC.String(strings.TrimSpace(s)))
		local, _, _ := strings.Cut(s, "@")
		for _, v := range []string{s, local} {
			if utf8.RuneCountInString(v) < minPersonal {
				continue
			}
			if strings.Contains(folded, v) {
				return errPasswordPersonal
			}
			inputs = append(inputs, v)
		}
	}
	if distinct(folded) < minDistinct {
		return errPasswordRepeated
	}
	if kanaRun(folded) >= minKanaRun {
		return errPasswordSequence
	}
	r := zxcvbn.PasswordStrength(folded, inputs)
	if r.Guesses >= minGuesses {
		return ""
	}
	return weakness(r.Sequence)
}

// weakness names the pattern that makes up most of a guessable password:
// the longest of the parts zxcvbn recognised.
func weakness(seq []*match.Match) string {
	var worst *match.Match
	for _, m := range seq {
		if m.Pattern == "bruteforce" {
			continue
		}
		if worst == nil || m.J-m.I > worst.J-worst.I {
			worst = m
		}
	}
	if worst == nil {
		return errPasswordGuessable
	}
	switch worst.Pattern {
	case "dictionary":
		switch worst.DictionaryName {
		case "user_inputs":
			return errPasswordPersonal
		case "passwords":
			return errPasswordCommon
		}
		return errPasswordWords
	case "repeat":
		return errPasswordRepeated
	case "sequence":
		return errPasswordSequence
	case "spatial":
		return errPasswordKeyboard
	case "date", "regex":
		return errPasswordDate
	}
	return errPasswordGuessable
}

func distinct(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}

// gojuon is the kana in dictionary order, the order a Japanese speaker
// recites them in.
const gojuon = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん"

// kanaRun is the length of the longest run of s that follows gojuon forwards
// or backwards (katakana counted as hiragana).
func kanaRun(s string) int {
	order := map[rune]int{}
	for i, r := range []rune(gojuon) {
		order[r] = i
	}
	best, run, dir, prev := 0, 0, 0, -2
	for _, r := range s {
		if r >= 'ァ' && r <= 'ヶ' {
			r -= 'ァ' - 'ぁ'
		}
		i, ok := order[r]
		switch {
		case !ok:
			run, dir = 0, 0
		case run > 0 && (dir == 0 || dir == 1) && i == prev+1:
			run, dir = run+1, 1
		case run > 0 && (dir == 0 || dir == -1) && i == prev-1:
			run, dir = run+1, -1
		default:
			run, dir = 1, 0
		}
		prev = i
		best = max(best, run)
	}
	return best
}
