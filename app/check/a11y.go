package check

import (
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Accessibility (Nakano rules 第8条4項3号, JIS X 8341-3:2016 level AA).
// What a program can judge with certainty is an Error (an image without a
// text alternative, a table without header cells); what needs a reader's
// judgement is a Warning.

// ImageAlt reports images without a text alternative (WCAG 1.1.1): a
// Markdown image with empty brackets, an HTML img without alt (Error); an
// HTML img with alt="", which says "decorative", is a Warning.
func ImageAlt(d *Doc) []Problem {
	var out []Problem
	for _, img := range d.body.structure().images {
		switch {
		case img.alt != "":
		case img.html && img.hasAlt:
			out = append(out, d.body.problemBytes(idImgAlt, Warning, img.start, img.end, map[string]any{"Decorative": true}))
		default:
			out = append(out, d.body.problemBytes(idImgAlt, Error, img.start, img.end, nil))
		}
	}
	return out
}

// Headings reports a heading more than one level below the one before it
// (WCAG 1.3.1, 2.4.6): the page title is the h1, and Markdown's # renders
// h2, so ### after # skips h3, and ## as the first heading skips h2.
func Headings(d *Doc) []Problem {
	var out []Problem
	prev := 1
	for _, h := range d.body.structure().headings {
		if h.level > prev+1 {
			out = append(out, d.body.problemBytes(idHeading, Warning, h.start, h.end,
				map[string]any{"Level": h.level, "Previous": prev, "Suggest": prev + 1}))
		}
		prev = h.level
	}
	return out
}

// vagueLinkText is link text that says nothing of where it leads out of
// context, as a screen reader's list of links reads it (WCAG 2.4.4);
// written without spaces, as it is compared.
var vagueLinkText = setOf(`こちら ここ コチラ ココ こちらから ここから こちらをクリック ここをクリック こちらをご覧ください
	詳しくはこちら 詳細はこちら 詳しくはここ 詳細はここ 詳しく 詳細 詳細へ クリック クリックしてください リンク リンク先 続き 続きを読む もっと見る
	clickhere click here more readmore link thislink details`)

// LinkText reports links whose text does not say where they lead (Warning),
// or that have no text at all (Error).
func LinkText(d *Doc) []Problem {
	var out []Problem
	for _, l := range d.body.structure().links {
		if l.def || l.bare {
			continue
		}
		t := strings.ToLower(strings.Join(strings.Fields(norm.NFKC.String(l.text)), ""))
		t = strings.Trim(t, "「」『』【】[]()<>.。、!→▶»")
		switch {
		case t == "":
			out = append(out, d.body.problemBytes(idLinkText, Error, l.start, l.end, map[string]any{"Text": l.text}))
		case vagueLinkText[t]:
			out = append(out, d.body.problemBytes(idLinkText, Warning, l.start, l.end, map[string]any{"Text": l.text}))
		}
	}
	return out
}

// TableHeaders reports HTML tables without a header cell (WCAG 1.3.1).
// A Markdown table always has a header row; raw HTML in the body and the
// rendered HTML are where a table without one can come from.
func TableHeaders(d *Doc) []Problem {
	var out []Problem
	for _, t := range []*text{d.body, d.html} {
		if t == nil {
			continue
		}
		for _, tb := range t.structure().tables {
			if !tb.header {
				out = append(out, t.problemBytes(idTable, Error, tb.start, tb.end, nil))
			}
		}
	}
	return out
}

// HalfWidthKana reports half-width katakana (ｶﾀｶﾅ), which some screen
// readers spell out; Args["Suggest"] is the full-width form.
func HalfWidthKana(d *Doc) []Problem {
	var out []Problem
	for _, t := range d.prose() {
		eachRun(t, isHalfWidthKana, func(start, end int, s string) {
			out = append(out, t.problem(idKana, Warning, start, end, map[string]any{"Suggest": norm.NFKC.String(s)}))
		})
	}
	return out
}

func isHalfWidthKana(r rune) bool { return r >= 0xFF61 && r <= 0xFF9F }

// eachRun calls fn with each run of t's runes for which in is true, at its
// rune offsets.
func eachRun(t *text, in func(rune) bool, fn func(start, end int, s string)) {
	start, i := -1, 0
	for _, r := range t.src {
		switch {
		case in(r) && start < 0:
			start = i
		case !in(r) && start >= 0:
			fn(start, i, t.slice(start, i))
			start = -1
		}
		i++
	}
	if start >= 0 {
		fn(start, i, t.slice(start, i))
	}
}

// MachineDependent reports characters that old systems and some screen
// readers do not know or read wrongly (機種依存文字: ①, ㈱, ㍻, ㌔, Ⅰ);
// Args["Suggest"] is what to write instead: (1), (株), 平成, キロ, I.
func MachineDependent(d *Doc) []Problem {
	var out []Problem
	for _, t := range d.prose() {
		eachRun(t, isMachineDependent, func(start, end int, s string) {
			var b strings.Builder
			for _, r := range s {
				b.WriteString(replacement(r))
			}
			out = append(out, t.problem(idMachine, Warning, start, end, map[string]any{"Suggest": b.String()}))
		})
	}
	return out
}

func isMachineDependent(r rune) bool {
	switch {
	case r >= 0x2460 && r <= 0x249B: // ① … ⑳, ⑴ … ⒇, ⒈ … ⒛
	case r >= 0x2160 && r <= 0x217F: // Ⅰ … ⅿ
	case r >= 0x3220 && r <= 0x3243: // ㈠ … ㈱ … ㉃
	case r >= 0x3251 && r <= 0x325F, r >= 0x32B1 && r <= 0x32BF: // ㉑ … ㊿
	case r >= 0x3280 && r <= 0x32B0: // ㊀ … ㊤ … ㊰
	case r >= 0x32FF && r <= 0x33FF: // ㋿, ㌀ … ㌔ … ㍻ … ㎡ … ㏿
	case r == '№', r == '℡':
	default:
		return false
	}
	return true
}

var squareUnits = map[rune]string{'㎡': "平方メートル", '㎥': "立方メートル", '㎠': "平方センチメートル",
	'㎢': "平方キロメートル", '㎤': "立方センチメートル", '㏄': "cc"}

func replacement(r rune) string {
	if s, ok := squareUnits[r]; ok {
		return s
	}
	n := norm.NFKC.String(string(r))
	switch {
	case r >= 0x2460 && r <= 0x2473, r >= 0x3251 && r <= 0x325F, r >= 0x32B1 && r <= 0x32BF, r >= 0x3280 && r <= 0x32B0:
		return "(" + n + ")" // circled: ① → (1), ㊤ → (上)
	}
	return n
}

// SpacedWords reports words spaced out for layout, 「氏　名」「申　込　方　法」,
// which a screen reader reads as separate characters (Warning). Only runs
// of single kanji or kana between spaces count, so 「担当 佐藤」 and
// 「林 太郎」 pass, and nothing next to a number or punctuation.
func SpacedWords(d *Doc) []Problem {
	var out []Problem
	for _, t := range d.prose() {
		rs := []rune(t.folded())
		for i := 0; i < len(rs); {
			// A single CJK character at a word start, then (spaces, one
			// character) at least once, ending at a word end.
			if !isCJK(rs[i]) || i > 0 && wordRune(rs[i-1]) || i+1 < len(rs) && isCJK(rs[i+1]) {
				i++
				continue
			}
			end, n := i+1, 1
			for j := end; ; {
				k := j
				for k < len(rs) && rs[k] == ' ' && k-j < 3 {
					k++
				}
				if k == j || k >= len(rs) || !isCJK(rs[k]) || k+1 < len(rs) && (isCJK(rs[k+1]) || wordRune(rs[k+1])) {
					break
				}
				end, n, j = k+1, n+1, k+1
			}
			if n >= 2 {
				word := strings.ReplaceAll(string(rs[i:end]), " ", "")
				out = append(out, t.problem(idSpaced, Warning, i, end, map[string]any{"Suggest": word}))
			}
			i = end
		}
	}
	return out
}

// wordRune is a letter or digit that would make a CJK character part of a
// longer word or number.
func wordRune(r rune) bool {
	return isCJK(r) || isDigit(r) || r < utf8.RuneSelf && isASCIIWord(string(r), 0)
}

var (
	slashDate   = anchored(`[0-9]{1,2}/[0-9]{1,2}`)
	weekdayNext = regexp.MustCompile(`^ ?(?:\( ?[月火水木金土日](?:曜日?)?(?:・?祝日?)? ?\)|[月火水木金土日]曜)`)
	notADate    = regexp.MustCompile(`^ ?(?:ページ|頁|倍|程度|以上|以下|未満|量|の割合|の確率|杯|カップ)`)
)

// Dates reports dates written as 1/2 or 12/28 without a year or weekday,
// which a screen reader reads as a fraction and readers abroad as 1
// February (Warning); Args["Suggest"] is 1月2日.
func Dates(d *Doc) []Problem {
	var out []Problem
	for _, t := range d.prose() {
		f := t.folded()
		for _, m := range findAt(slashDate, f, 8, startsWith("0123456789")) {
			s, e := m[0], m[1]
			if s > 0 && strings.IndexByte("0123456789/.-:", f[s-1]) >= 0 || isASCIIWord(f, s-1) ||
				e < len(f) && (strings.IndexByte("0123456789/", f[e]) >= 0 || isASCIIWord(f, e)) {
				continue
			}
			if strings.HasSuffix(strings.TrimRight(f[:s], " "), "年") || weekdayNext.MatchString(f[e:]) || notADate.MatchString(f[e:]) {
				continue
			}
			slash := s + strings.IndexByte(f[s:e], '/')
			mo, _ := strconv.Atoi(f[s:slash])
			day, _ := strconv.Atoi(f[slash+1 : e])
			if mo < 1 || mo > 12 || day < 1 || day > 31 {
				continue
			}
			out = append(out, t.problem(idDate, Warning, t.foldAt(s), t.foldAt(e),
				map[string]any{"Suggest": strconv.Itoa(mo) + "月" + strconv.Itoa(day) + "日"}))
		}
	}
	return out
}

var (
	colourStarts = "赤青緑黄橙オ紫ピ茶灰グ水黒白色"
	colour       = `(?:赤|青|緑|黄|黄色|橙|オレンジ|紫|ピンク|茶|茶色|灰|灰色|グレー|水色|黒|白)`
	colourAdj    = `(?:赤|青|黄色|白|黒|茶色)い`
	marked       = `(?:項目|部分|箇所|ところ|所|欄|事項|語句|文字|字|ボタン|枠|線|マーク|印|矢印|丸|四角|アイコン|セル|背景)`
	shown        = `(?:示|表示|記|書|強調|囲|塗|マーク|色分け)`
	// 赤字の項目, 赤色で示した, 青いボタン, 緑色の部分, 色のついた欄.
	colourCue = anchored(colour + `色?(?:字|文字)(?:で` + shown + `|の` + marked + `|部分|箇所|欄)` +
		`|` + colour + `色?で` + shown +
		`|` + colourAdj + marked +
		`|` + colour + `色の` + marked +
		`|色(?:のついた|の付いた|付き|つき|分けされた|分けした)の?` + marked)
)

// ColourCues reports text that points at something by its colour alone
// (WCAG 1.4.1): 「赤字の項目は必須です」 says nothing to a reader who
// cannot see red (Warning).
func ColourCues(d *Doc) []Problem {
	var out []Problem
	for _, t := range d.prose() {
		for _, m := range findAt(colourCue, t.src, 64, startsWith(colourStarts)) {
			out = append(out, t.problemBytes(idColour, Warning, m[0], m[1], nil))
		}
	}
	return out
}

var (
	fileTypes = map[string]string{"pdf": "PDF", "doc": "Word", "docx": "Word", "xls": "Excel", "xlsx": "Excel",
		"ppt": "PowerPoint", "pptx": "PowerPoint", "csv": "CSV", "zip": "ZIP", "odt": "ODT", "ods": "ODS", "odp": "ODP",
		"jtd": "一太郎", "rtf": "RTF", "txt": "テキスト"}
	typeWord = `(?:pdf|word|excel|powerpoint|ワード|エクセル|パワーポイント|一太郎|docx?|xlsx?|pptx?|csv|zip|od[tsp]|jtd|rtf|テキスト|text)`
	sizeWord = `[0-9][0-9.,]*\s*(?:[kmg]i?b|バイト|キロバイト|メガバイト)`
	// （PDF 123KB）, (PDF形式：1.2MB), [Word 45KB], 123KB PDF.
	fileLabel = regexp.MustCompile(`(?i)` + typeWord + `[^\n]{0,16}?` + sizeWord + `|` + sizeWord + `[^\n]{0,8}?` + typeWord)
)

// Attachments reports links to a file (under /files/, or a .pdf, .docx,
// .xlsx … address) whose text, or what follows it, does not say the file's
// type and size (Warning): a reader should know before opening it that it
// is a 3 MB PDF. Args["Type"] is the type the address suggests.
func Attachments(d *Doc) []Problem {
	var out []Problem
	for _, l := range d.body.structure().links {
		if l.def {
			continue
		}
		typ, ok := attachment(l.dest)
		if !ok || fileLabel.MatchString(norm.NFKC.String(l.text+l.after)) {
			continue
		}
		out = append(out, d.body.problemBytes(idAttachment, Warning, l.start, l.end, map[string]any{"Type": typ}))
	}
	return out
}

// attachment reports whether dest is a file, and its type when the name
// says it.
func attachment(dest string) (typ string, ok bool) {
	u, err := url.Parse(strings.TrimSpace(leaveTarget(dest)))
	if err != nil {
		return "", false
	}
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(u.Path), "."))
	if t, ok := fileTypes[ext]; ok {
		return t, true
	}
	if u.Host == "" && strings.HasPrefix(u.Path, "/files/") && !imageExt[ext] {
		return strings.ToUpper(ext), true // the portal's own attachment, named or not
	}
	return "", false
}

var imageExt = setOf(`png jpg jpeg gif webp svg avif`)
