package check

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/ikawaha/kagome-dict/ipa"
	"github.com/ikawaha/kagome/v2/tokenizer"
	"golang.org/x/text/unicode/norm"
)

// Personal names are found by morphological analysis, not a word list:
// kagome with the IPA dictionary tags 田中 as 名詞,固有名詞,人名,姓 and 太郎
// as 名詞,固有名詞,人名,名, in context.
//
// The tokenizer is built once per process, on the first check that needs
// it (or at start, by Warm). The dictionary is embedded in the binary
// (about 12 MB of its size). Loading it takes about 0.6 s of one idle core
// (a few seconds on a busy machine) and keeps about 28 MiB on the heap:
// that is the shrunk dictionary, without readings and base forms, which a
// name check does not need; the full one holds about 88 MiB. One tokenizer
// serves concurrent checks: the dictionary is read-only and each analysis
// takes its lattice from a pool (kagome's own server shares one the same
// way; TestRunConcurrently).
var (
	tokOnce sync.Once
	tok     *tokenizer.Tokenizer
)

func ipaTokenizer() *tokenizer.Tokenizer {
	tokOnce.Do(func() {
		t, err := tokenizer.New(ipa.DictShrink(), tokenizer.OmitBosEos())
		if err != nil {
			// Only a nil dictionary fails, and the embedded one is not nil.
			panic("check: kagome tokenizer: " + err.Error())
		}
		tok = t
	})
	return tok
}

// Warm loads the tokenizer now rather than in the first request that
// checks a page; a server may call it at start, in the background.
func Warm() { ipaTokenizer() }

// titles after a surname say it is a person: 田中課長, 鈴木先生.
var titles = setOf(`先生 課長 部長 係長 区長 副区長 会長 副会長 理事長 理事 委員長 委員 議員 議長 所長 館長 園長 校長
	教頭 教諭 教授 医師 院長 選手 代表 社長 主事 主任 監督 局長 室長 店長 知事 市長 町長 村長 署長 係 担当 夫妻 一家`)

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// Names reports personal names (Error): a surname with a given name, a
// title or an honorific (田中太郎, 田中さん, 田中課長, 花子さん), or a
// surname on its own (担当：佐藤), except the Allowed staff, consented names
// and places.
//
// A bare surname directly followed by another noun is taken as part of a
// place or company name (田中町, 山田線, 中村橋, 小林製薬, 本町三丁目), and a one-character
// bare surname (森, 林) is not flagged at all: both are common words too.
// IPADIC still tags some places as surnames when they stand alone (野方,
// 江古田, 大久保, 神楽坂); Allowed.Places lists the ward's.
func Names(d *Doc) []Problem {
	allow := newNameAllowance(d.Allowed)
	var out []Problem
	tk := ipaTokenizer()
	for _, t := range d.prose() {
		for _, seg := range sentences(t.src) {
			ms := morphs(tk.Analyze(t.src[seg.start:seg.end], tokenizer.Normal))
			for _, n := range findNames(ms) {
				start := t.runeAt(seg.start + ms[n.first].position)
				last := ms[n.last]
				end := t.runeAt(seg.start + last.position + len(last.surface))
				if allow.name(n) || allow.place(t.src, seg.start+ms[n.first].position, n.name) {
					continue
				}
				out = append(out, t.problem(idName, Error, start, end, map[string]any{"Name": n.name}))
			}
		}
	}
	return out
}

// sentences splits src at line ends and 。, so the analyser's lattice
// stays small whatever the length of the page.
func sentences(src string) []span {
	var out []span
	start := 0
	for i := 0; i < len(src); i++ {
		switch {
		case src[i] == '\n':
			out = append(out, span{start, i})
			start = i + 1
		case strings.HasPrefix(src[i:], "。"):
			out = append(out, span{start, i + len("。")})
			start = i + len("。")
			i += len("。") - 1
		}
	}
	if start < len(src) {
		out = append(out, span{start, len(src)})
	}
	return out
}

type foundName struct {
	first, last int    // morph indexes, honorific or title included
	name        string // without spaces, honorific or title
	surname     string // "" for a given name with an honorific
	given       bool   // holds a given name
}

// morph is a token with its tags read once.
type morph struct {
	surface  string
	position int    // byte offset in the analysed text
	kind     string // "姓", "名", "人名" (a whole name), "敬称" (さん, 様, 氏, くん), or ""
	noun     bool   // a noun, but not a pronoun or a number
	number   bool   // 名詞,数
	proper   bool   // 名詞,固有名詞
	space    bool
	unknown  bool // not in the dictionary
}

func morphs(toks []tokenizer.Token) []morph {
	ms := make([]morph, len(toks))
	var pos [4]string
	for i, t := range toks {
		// FeatureAt reads the dictionary's tables where POS would allocate
		// a slice per token.
		for k := range pos {
			pos[k], _ = t.FeatureAt(k)
		}
		m := morph{surface: t.Surface, position: t.Position, unknown: t.Class == tokenizer.UNKNOWN,
			noun:   pos[0] == "名詞" && pos[1] != "代名詞" && pos[1] != "数",
			number: pos[0] == "名詞" && pos[1] == "数",
			proper: pos[0] == "名詞" && pos[1] == "固有名詞",
			space:  pos[0] == "記号" && pos[1] == "空白",
		}
		if pos[0] == "名詞" {
			switch {
			case pos[1] == "固有名詞" && pos[2] == "人名":
				m.kind = "人名"
				if pos[3] == "姓" || pos[3] == "名" {
					m.kind = pos[3]
				}
			case pos[1] == "接尾" && pos[2] == "人名":
				m.kind = "敬称"
			}
		}
		ms[i] = m
	}
	return ms
}

func findNames(ms []morph) []foundName {
	var out []foundName
	for i := 0; i < len(ms); i++ {
		var n foundName
		switch m := ms[i]; {
		case m.kind == "姓":
			n = foundName{first: i, last: i, name: m.surface, surname: m.surface}
			j := i + 1
			// A given name, maybe after one space: 山田太郎, 山田　太郎.
			if j+1 < len(ms) && ms[j].space && givenName(ms, j+1) {
				j++
			}
			if j < len(ms) && givenName(ms, j) {
				n.name += ms[j].surface
				n.last, n.given = j, true
				j++
			}
			switch {
			case j < len(ms) && (ms[j].kind == "敬称" || titles[ms[j].surface]):
				n.last = j
			case n.given:
			case j < len(ms) && (ms[j].noun || ms[j].number), utf8.RuneCountInString(m.surface) < 2:
				continue // 田中町, 山田線, 小林製薬, 本町三丁目; 森
			}
		case m.kind == "名" || m.kind == "人名" || m.unknown && m.noun:
			// A given name or an unknown word counts with an honorific:
			// 花子さん, スミスさん.
			if i+1 < len(ms) && ms[i+1].kind == "敬称" {
				n = foundName{first: i, last: i + 1, name: m.surface, given: true}
			} else {
				continue
			}
		default:
			continue
		}
		out = append(out, n)
		i = n.last
	}
	return out
}

// givenName reports whether ms[i] is a given name after a surname. The
// analyser tags a given name after a space by its context, so 太郎 in
// 「佐藤 山田　太郎 花子さん」 comes out as 名詞,固有名詞,地域: a short proper
// noun that ends the word counts too.
func givenName(ms []morph, i int) bool {
	switch m := ms[i]; {
	case m.kind == "名":
		return true
	case m.kind != "" || !m.proper || utf8.RuneCountInString(m.surface) > 3:
		return false
	}
	return i+1 == len(ms) || !ms[i+1].noun || ms[i+1].kind == "敬称" || titles[ms[i+1].surface]
}

// nameAllowance holds the names that may stand in the text.
type nameAllowance struct {
	full    map[string]bool // whole names as written, without spaces
	surname map[string]bool // their surnames: the contact block says 佐藤一郎, the text 佐藤
	places  []string
}

func newNameAllowance(a Allowances) nameAllowance {
	na := nameAllowance{full: map[string]bool{}, surname: map[string]bool{}}
	for _, list := range [][]string{a.StaffNames, a.ConsentedNames} {
		for _, name := range list {
			k := nameKey(name)
			if k == "" {
				continue
			}
			na.full[k] = true
			for _, n := range findNames(morphs(ipaTokenizer().Analyze(k, tokenizer.Normal))) {
				na.full[n.name] = true
				if n.surname != "" {
					na.surname[n.surname] = true
				}
			}
		}
	}
	for _, p := range a.Places {
		if p = strings.TrimSpace(norm.NFKC.String(p)); p != "" {
			na.places = append(na.places, p)
		}
	}
	return na
}

// name reports whether a found name is allowed: the whole name, or a
// surname without a given name (田中さん, 田中課長) when an allowed name
// has that surname.
func (na nameAllowance) name(n foundName) bool {
	k := nameKey(n.name)
	return na.full[k] || !n.given && na.surname[k]
}

// place reports whether the name found at byte b of src is, or is inside,
// an allowed place name written there: 野方, 江古田の森.
func (na nameAllowance) place(src string, b int, name string) bool {
	for _, p := range na.places {
		if !strings.Contains(p, name) {
			continue
		}
		from := max(b-len(p), 0)
		to := min(b+len(name)+len(p), len(src))
		win := src[from:to]
		for off := 0; ; {
			i := strings.Index(win[off:], p)
			if i < 0 {
				break
			}
			if s := from + off + i; s <= b && b+len(name) <= s+len(p) {
				return true
			}
			off += i + 1
			for off < len(win) && win[off]&0xC0 == 0x80 {
				off++
			}
		}
	}
	return false
}

// nameKey is a name without spaces, in NFKC.
func nameKey(s string) string {
	return strings.Join(strings.Fields(norm.NFKC.String(s)), "")
}
