// Package textdiff compares two texts character by character, so a change
// in Japanese — written without spaces between words — is shown as the
// characters that changed, not as a whole changed line or "word".
package textdiff

import (
	"github.com/sergi/go-diff/diffmatchpatch"
)

// Op says what a segment is: text both have, text only the new one has, or
// text only the old one had.
type Op int

const (
	Equal Op = iota
	Insert
	Delete
)

// Segment is a run of characters with what happened to it.
type Segment struct {
	Op   Op
	Text string
}

// Chars compares old and new by characters (runes), then merges small
// equalities into the changes around them (diff-match-patch's semantic
// clean-up) so that the result reads as a person would describe the edit:
// 「申請期限は12月28日です」→「申請期限は1月10日です」 marks 「2月28」 deleted
// and 「月10」 inserted, not each digit on its own.
func Chars(old, new string) []Segment {
	if old == new {
		if old == "" {
			return nil
		}
		return []Segment{{Equal, old}}
	}
	d := diffmatchpatch.New()
	diffs := d.DiffCleanupSemantic(d.DiffMain(old, new, false))
	out := make([]Segment, 0, len(diffs))
	for _, x := range diffs {
		op := Equal
		switch x.Type {
		case diffmatchpatch.DiffInsert:
			op = Insert
		case diffmatchpatch.DiffDelete:
			op = Delete
		}
		out = append(out, Segment{op, x.Text})
	}
	return out
}

// Changed reports whether segs hold any insertion or deletion.
func Changed(segs []Segment) bool {
	for _, s := range segs {
		if s.Op != Equal {
			return true
		}
	}
	return false
}
