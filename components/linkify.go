package components

import (
	"regexp"
	"strings"
)

// textPart is a run of plain text, or an outbound address shown as a link.
type textPart struct {
	Text string
	URL  string // non-empty: Text is an http(s) address to link through /leave
	Tel  string // non-empty: Text is a phone number, and this its tel: address
}

// phoneNumber finds Japanese phone numbers written with hyphens (or
// spaces, or in brackets): 03-5000-0001, 03(5000)0001, 0120-000-000,
// 090-1234-5678, +81-3-5000-0001. Digits may be full-width.
var phoneNumber = regexp.MustCompile(`(?:\+81[-\s]?|[0０])[0-9０-９]{1,4}[-－‐\s(（][0-9０-９]{1,4}[-－‐\s)）][0-9０-９]{3,4}`)

// contactParts splits a contact block into plain runs, addresses and
// phone numbers.
func contactParts(text string) []textPart {
	var parts []textPart
	for _, p := range linkParts(text) {
		if p.URL != "" {
			parts = append(parts, p)
			continue
		}
		last := 0
		for _, m := range phoneNumber.FindAllStringIndex(p.Text, -1) {
			if m[0] > last {
				parts = append(parts, textPart{Text: p.Text[last:m[0]]})
			}
			num := p.Text[m[0]:m[1]]
			parts = append(parts, textPart{Text: num, Tel: string(telURL(halfWidthDigits(num)))})
			last = m[1]
		}
		if last < len(p.Text) {
			parts = append(parts, textPart{Text: p.Text[last:]})
		}
	}
	return parts
}

// halfWidthDigits turns full-width digits into ASCII ones.
func halfWidthDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, s)
}

// plainURL finds http(s) addresses in plain text (board posts, event and
// group descriptions). It stops at white space, angle brackets, quotes and
// Japanese punctuation or brackets so 「https://a.jp/」。 links only the address.
var plainURL = regexp.MustCompile(`https?://[A-Za-z0-9.\-]+(?::[0-9]+)?(?:[/?#][^\s<>"'「」『』（）()、。！？【】\x{3000}]*)?`)

// linkParts splits text into plain runs and addresses. Trailing ASCII
// punctuation (a sentence's full stop or comma) is left out of an address.
func linkParts(text string) []textPart {
	var parts []textPart
	last := 0
	for _, m := range plainURL.FindAllStringIndex(text, -1) {
		start, end := m[0], m[1]
		for end > start && strings.ContainsRune(".,;:!?", rune(text[end-1])) {
			end--
		}
		if start > last {
			parts = append(parts, textPart{Text: text[last:start]})
		}
		parts = append(parts, textPart{Text: text[start:end], URL: text[start:end]})
		last = end
	}
	if last < len(text) {
		parts = append(parts, textPart{Text: text[last:]})
	}
	return parts
}
