package components

import (
	"regexp"
	"strings"
)

// textPart is a run of plain text, or an outbound address shown as a link.
type textPart struct {
	Text string
	URL  string // non-empty: Text is an http(s) address to link through /leave
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
