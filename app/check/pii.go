package check

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Personal information (Nakano rules 第13条): a resident's phone number and
// e-mail address are not published (4号), an address only down to the town
// (3号: 町名), and a name only with consent (1号, 3号, 第14条). The patterns
// run on the folded text, so ０３－３３８９－１１１１ and 03-3389-1111 are
// one number, and never on a link's address.

var (
	// Ten or eleven digits in the groups people write: 03-3389-1111,
	// (03)3389-1111, 03(3389)1111, 0120 123 456, 09012345678,
	// +81-3-3389-1111. phoneNumber judges the digits.
	phoneRe = anchored(`(?:\+81[ -]?(?:\(0\)[ -]?)?|\(0|0)[0-9]{1,4}(?:[ -]|\)[ -]?|[ -]?\()?[0-9]{1,4}(?:[ -]|\)[ -]?)?[0-9]{3,4}`)
	// A local number without its area code counts when it is labelled.
	localPhoneRe = anchored(`(?i)(?:電話|tel|fax|ファクス|ファックス|携帯|℡|☎)(?:番号)?[ :]*([1-9][0-9]{3}-[0-9]{4})`)
	// An address, and the ways people hide one from harvesters:
	// name(at)example.jp, name★example.jp.
	emailRe = anchored(`(?i)[a-z0-9._%+\-]+(?:@| ?(?:\(at\)|\[at\]|<at>) ?|[★☆])[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}`)
)

// Phones reports phone numbers (Error) other than the Allowed ones.
func Phones(d *Doc) []Problem {
	allowed := map[string]bool{}
	for _, p := range d.Allowed.Phones {
		if n := phoneDigits(p); n != "" {
			allowed[n] = true
		}
	}
	var out []Problem
	for _, t := range d.prose() {
		f := t.folded()
		var found []span
		for _, m := range findAt(phoneRe, f, 40, startsWith("0+(")) {
			s, e := m[0], m[1]
			if !numberEdges(f, s, e) {
				continue
			}
			digits := phoneDigits(f[s:e])
			if !phoneNumber(digits) {
				continue
			}
			found = append(found, span{s, e})
			if !allowed[digits] {
				out = append(out, t.problem(idPhone, Error, t.foldAt(s), t.foldAt(e), nil))
			}
		}
		for _, m := range findAt(localPhoneRe, f, 40, startsWith("電tTfFフ携℡☎")) {
			s, e := m[2], m[3]
			if !numberEdges(f, s, e) || overlaps(found, s, e) {
				continue
			}
			digits := phoneDigits(f[s:e])
			ok := false
			for a := range allowed {
				ok = ok || strings.HasSuffix(a, digits)
			}
			if !ok {
				out = append(out, t.problem(idPhone, Error, t.foldAt(s), t.foldAt(e), nil))
			}
		}
	}
	return out
}

// phoneDigits is a number's digits in the domestic form: +81 3… becomes 03….
func phoneDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r = foldRune(r); isDigit(r) {
			b.WriteRune(r)
		}
	}
	d := b.String()
	if strings.HasPrefix(strings.TrimSpace(s), "+81") || strings.HasPrefix(strings.TrimSpace(s), "＋８１") {
		d = "0" + strings.TrimPrefix(strings.TrimPrefix(d, "81"), "0")
	}
	return d
}

// phoneNumber reports whether digits can be a Japanese phone number: ten
// digits (a fixed line, 0120, 0570), or eleven for a mobile (070, 080,
// 090), IP phone (050), pager (020) or 0800 number.
func phoneNumber(d string) bool {
	if len(d) < 10 || len(d) > 11 || d[0] != '0' || d[1] == '0' {
		return false
	}
	if len(d) == 11 {
		return d[2] == '0' && strings.ContainsRune("25789", rune(d[1])) || strings.HasPrefix(d, "0800")
	}
	return true
}

// numberEdges reports whether f[s:e] is a number of its own, not part of a
// longer one (a date 2026-03-01, an amount 1,000,000, an identifier).
func numberEdges(f string, s, e int) bool {
	if s > 0 {
		c := f[s-1]
		if isDigit(rune(c)) || c == '-' || c == '.' || c == ',' || c == '/' || c == '+' || isASCIIWord(f, s-1) {
			return false
		}
	}
	if e < len(f) {
		c := f[e]
		if isDigit(rune(c)) || isASCIIWord(f, e) {
			return false
		}
		if (c == '-' || c == '.' || c == ',' || c == '/') && e+1 < len(f) && isDigit(rune(f[e+1])) {
			return false
		}
	}
	return true
}

func overlaps(spans []span, s, e int) bool {
	for _, x := range spans {
		if s < x.end && x.start < e {
			return true
		}
	}
	return false
}

// Emails reports e-mail addresses (Error) other than the Allowed ones.
func Emails(d *Doc) []Problem {
	allowed := map[string]bool{}
	for _, e := range d.Allowed.Emails {
		allowed[emailKey(e)] = true
	}
	var out []Problem
	for _, t := range d.prose() {
		f := t.folded()
		for _, m := range findAt(emailRe, f, 320, localPartStart) {
			s, e := m[0], m[1]
			if s > 0 && isASCIIWord(f, s-1) || e < len(f) && (isASCIIWord(f, e) || f[e] == '-') {
				continue
			}
			if !allowed[emailKey(f[s:e])] {
				out = append(out, t.problem(idEmail, Error, t.foldAt(s), t.foldAt(e), nil))
			}
		}
	}
	return out
}

// localPartStart: an e-mail address can begin only where a run of the
// characters of its local part begins.
func localPartStart(s string, i int) bool {
	return isLocalPart(s[i]) && (i == 0 || !isLocalPart(s[i-1]))
}

func isLocalPart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._%+-", c) >= 0
}

var unhide = regexp.MustCompile(`(?i) ?(?:\(at\)|\[at\]|<at>) ?|[★☆＠]`)

func emailKey(s string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		b.WriteRune(foldRune(r))
	}
	return strings.ToLower(unhide.ReplaceAllString(b.String(), "@"))
}

// Street addresses: a town and its 丁目 may be published (第13条3号: 町名);
// the 番地, 号 and room number below them may not. The problem covers that
// part only: 「中野4丁目8番1号」 flags 「8番1号」.
var (
	addrDigits = "0123456789一二三四五六七八九十〇"
	addrNum    = `[` + addrDigits + `]+`
	// After 丁目: 8番1号, 8番地, 8番, 8-1.
	addrChome = regexp.MustCompile(`丁目 ?(` + addrNum + ` ?(?:番地?(?: ?の? ?` + addrNum + ` ?(?:号室|号)?)?)|[0-9]+ ?- ?[0-9]+(?: ?- ?[0-9]+)?)`)
	// 123番地, 123番地の4, 8番1号, 101号室.
	addrBanchi = anchored(addrNum + ` ?番地(?: ?の? ?` + addrNum + `(?: ?号)?)?|` + addrNum + ` ?番 ?` + addrNum + ` ?号|` + addrNum + ` ?号室`)
	// 中野4-8-1 (after a town name), and 3-2-1 101号室 (with a room).
	addrDashed = anchored(`[1-9][0-9]?-[1-9][0-9]{0,3}-[1-9][0-9]{0,3}(?:-[0-9]{1,4})?(?: ?` + addrNum + ` ?号室| ?[0-9]{1,4}号)?`)
)

// Addresses reports street addresses below the town (Error) other than
// the Allowed ones.
func Addresses(d *Doc) []Problem {
	var allowed []string
	for _, a := range d.Allowed.Addresses {
		allowed = append(allowed, addressForms(a)...)
	}
	var out []Problem
	for _, t := range d.prose() {
		f := t.folded()
		var found []span // overlapping finds are merged below
		for _, m := range addrChome.FindAllStringSubmatchIndex(f, -1) {
			found = append(found, span{m[2], m[3]})
		}
		for _, m := range findAt(addrBanchi, f, 64, numberStart(addrDigits)) {
			found = append(found, span{m[0], m[1]})
		}
		for _, m := range findAt(addrDashed, f, 64, numberStart("123456789")) {
			s, e := m[0], m[1]
			if !numberEdges(f, s, e) {
				continue
			}
			room := strings.HasSuffix(f[s:e], "号") || strings.HasSuffix(f[s:e], "号室")
			prev, _ := utf8.DecodeLastRuneInString(f[:s])
			if !room && !townEnd(prev) {
				continue // three numbers with nothing saying they are an address
			}
			found = append(found, span{s, e})
		}
		for _, sp := range merge(found) {
			start, end := t.foldAt(sp.start), t.foldAt(sp.end)
			if addressAllowed(t.slice(lineStart(t, start), end), allowed) {
				continue
			}
			out = append(out, t.problem(idAddress, Error, start, end, nil))
		}
	}
	return out
}

// townEnd reports whether r can end a town's name: a kanji or katakana
// (中野, 松が丘, ヶ丘), not hiragana (スコアは3-2-1).
func townEnd(r rune) bool { return isCJK(r) && !(r >= 'ぁ' && r <= 'ゖ') }

// numberStart is a start function for findAt: a number of digits begins
// at i.
func numberStart(digits string) func(s string, i int) bool {
	in := startsWith(digits)
	return func(s string, i int) bool {
		if !in(s, i) {
			return false
		}
		r, _ := utf8.DecodeLastRuneInString(s[:i])
		return i == 0 || !strings.ContainsRune(addrDigits, r)
	}
}

// lineStart is the rune offset where the line holding rune offset r starts.
func lineStart(t *text, r int) int {
	return t.runeAt(strings.LastIndexByte(t.src[:t.runeByte[r]], '\n') + 1)
}

// addressAllowed reports whether the text before a flagged number ends with
// an allowed address, compared by town and numbers: 中野区中野四丁目8番1号
// allows 中野4-8-1 and 中野4丁目8番1号.
func addressAllowed(before string, allowed []string) bool {
	if len(allowed) == 0 {
		return false
	}
	b := addressKey(before)
	for _, a := range allowed {
		if strings.HasSuffix(b, a) {
			return true
		}
	}
	return false
}

// addressForms are an allowed address's keys: in full, and from the town
// on (after the last 都, 区 or 市 before the first number).
func addressForms(a string) []string {
	k := addressKey(a)
	if k == "" {
		return nil
	}
	forms := []string{k}
	num := strings.IndexAny(k, "0123456789")
	if num > 0 {
		if i := strings.LastIndexAny(k[:num], "都区市"); i >= 0 && i+len("区") < num {
			forms = append(forms, k[i+len("区"):])
		}
	}
	return forms
}

var addressUnits = strings.NewReplacer("丁目", "-", "番地", "-", "番", "-", "号室", "-", "号", "-", "の", "-", "ノ", "-")

// addressKey is an address without spaces, with arabic numbers and every
// unit (丁目, 番地, 番, 号) written as '-'.
func addressKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		r = foldRune(r)
		if r == ' ' || r == '\t' || r == 0 {
			continue
		}
		b.WriteRune(r)
	}
	k := addressUnits.Replace(kanjiNumbers(b.String()))
	for strings.Contains(k, "--") {
		k = strings.ReplaceAll(k, "--", "-")
	}
	return strings.Trim(k, "-")
}

// kanjiNumbers writes kanji numbers up to 九十九 in arabic digits: 四丁目
// becomes 4丁目, 二十三番 23番.
func kanjiNumbers(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i := 0; i < len(rs); {
		if _, ok := kanjiDigit[rs[i]]; !ok && rs[i] != '十' {
			b.WriteRune(rs[i])
			i++
			continue
		}
		n, cur := 0, 0
		for ; i < len(rs); i++ {
			if d, ok := kanjiDigit[rs[i]]; ok {
				cur = cur*10 + d
			} else if rs[i] == '十' {
				n += max(cur, 1) * 10
				cur = 0
			} else {
				break
			}
		}
		b.WriteString(strconv.Itoa(n + cur))
	}
	return b.String()
}

var kanjiDigit = map[rune]int{'〇': 0, '一': 1, '二': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
