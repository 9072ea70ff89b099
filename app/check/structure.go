package check

import (
	"cmp"
	"html"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	gmtext "github.com/yuin/goldmark/text"
	xhtml "golang.org/x/net/html"
)

// structure is what a text links to and how it is built, each part with
// its byte span in the source. goldmark finds headings and code (where
// nothing is a link); links and images are found by patterns, because
// goldmark's tree keeps no position for a link's brackets or an empty
// image's `![]`, and a UI must be able to highlight them.
type structure struct {
	links    []link
	images   []image
	headings []heading
	tables   []table
	// masks are link addresses: sorted, not overlapping.
	masks []span
}

type link struct {
	span
	text string // what a reader hears: the link text, or a linked image's alt
	dest string
	// after is the source right after the link, where an attachment's
	// （PDF 120KB） often stands.
	after string
	// bare is an address written as text (a bare URL or an autolink):
	// its text is the address itself.
	bare bool
	// def is a Markdown reference definition ([label]: URL): it counts for
	// where the page links to, not for how a link reads. ref is a link that
	// uses one ([text][label]): its address is checked at the definition.
	def, ref bool
}

type image struct {
	span
	alt    string
	hasAlt bool // an HTML img may omit alt; a Markdown image always has one, maybe empty
	html   bool
}

type heading struct {
	span
	level int // as rendered: Markdown's # is h2, below the page title
}

type table struct {
	span        // the <table> start tag
	header bool // holds a th
}

// markdownHeadingShift is what app/markup adds to a Markdown heading's
// level: the page title is the only h1, so # renders h2.
const markdownHeadingShift = 1

var (
	parser = goldmark.New(goldmark.WithExtensions(extension.Table)).Parser()

	// An inline link [text](dest "title"); text may hold one level of
	// brackets (a linked image). Images are the same after a '!'.
	mdLink  = regexp.MustCompile(`\[((?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\])*)\]\(\s*(<[^<>\n]*>|(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))*)(?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?\s*\)`)
	mdImage = regexp.MustCompile(`!\[((?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\])*)\]\(\s*(<[^<>\n]*>|(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))*)(?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?\s*\)`)
	// A reference definition and a full or collapsed reference.
	mdDef = anchored(` {0,3}\[((?:[^\[\]\\\n]|\\.)+)\]:[ \t]*\n?[ \t]*(<[^<>\n]*>|\S+)`)
	mdRef = regexp.MustCompile(`\[((?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\])*)\]\[((?:[^\[\]\\\n]|\\.)*)\]`)
	// <https://…> and a bare address as goldmark's Linkify finds it
	// (ASCII only, so it ends at the first Japanese character).
	autolink = regexp.MustCompile(`<((?i:https?|ftp|mailto|tel):[^\s<>]*)>`)
	bareURL  = anchored(`(?i)(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+`)
	htmlAttr = regexp.MustCompile(`\s([A-Za-z][A-Za-z0-9_:-]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>` + "`" + `]+))?`)
	mdMarks  = strings.NewReplacer("**", "", "__", "", "~~", "", "*", "", "_", "", "`", "", "\\", "")
)

func (t *text) structure() *structure {
	if t.st != nil {
		return t.st
	}
	st := &structure{}
	t.st = st
	var code, taken []span // code, and what is already a link: no bare URL starts there
	if t.format == formatMarkdown {
		code, taken = st.markdown(t.src)
	}
	if t.format != formatPlain && strings.Contains(t.src, "<") {
		taken = append(taken, st.html(t.src, code)...)
	}
	st.bare(t.src, merge(taken))
	slices.SortFunc(st.links, func(a, b link) int { return cmp.Compare(a.start, b.start) })
	slices.SortFunc(st.images, func(a, b image) int { return cmp.Compare(a.start, b.start) })
	slices.SortFunc(st.headings, func(a, b heading) int { return cmp.Compare(a.start, b.start) })
	st.masks = merge(st.masks)
	return st
}

// markdown reads headings and code with goldmark and links and images with
// patterns. It returns the code, and the spans no bare URL may start in.
func (st *structure) markdown(src string) (code, taken []span) {
	source := []byte(src)
	doc := parser.Parse(gmtext.NewReader(source))
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			if lines := n.Lines(); lines.Len() > 0 {
				first, last := lines.At(0), lines.At(lines.Len()-1)
				start := strings.LastIndexByte(src[:first.Start], '\n') + 1
				st.headings = append(st.headings, heading{span{start, last.Stop}, min(n.Level+markdownHeadingShift, 6)})
			}
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			if lines := n.Lines(); lines.Len() > 0 {
				code = append(code, span{lines.At(0).Start, lines.At(lines.Len() - 1).Stop})
			}
			return ast.WalkSkipChildren, nil
		case *ast.CodeSpan:
			s := span{-1, -1}
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				if tx, ok := c.(*ast.Text); ok {
					if s.start < 0 {
						s.start = tx.Segment.Start
					}
					s.end = tx.Segment.Stop
				}
			}
			if s.start >= 0 {
				// Include the backticks, so a link pattern cannot start on one.
				code = append(code, span{max(s.start-1, 0), min(s.end+1, len(src))})
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	code = merge(code)
	inCode := func(b int) bool { return within(code, b) }
	taken = slices.Clone(code)

	for _, m := range mdImage.FindAllStringSubmatchIndex(src, -1) {
		if inCode(m[0]) || escaped(src, m[0]) {
			continue
		}
		alt := strings.TrimSpace(mdMarks.Replace(src[m[2]:m[3]]))
		st.images = append(st.images, image{span: span{m[0], m[1]}, alt: alt, hasAlt: true})
		st.mask(src, m[4], m[5])
	}
	for _, m := range mdLink.FindAllStringSubmatchIndex(src, -1) {
		if inCode(m[0]) || escaped(src, m[0]) {
			continue
		}
		if m[0] > 0 && src[m[0]-1] == '!' && !escaped(src, m[0]-1) {
			continue // an image
		}
		dest := strings.Trim(src[m[4]:m[5]], "<>")
		st.links = append(st.links, link{span: span{m[0], m[1]}, text: linkText(src[m[2]:m[3]]), dest: dest, after: after(src, m[1])})
		st.mask(src, m[4], m[5])
		taken = append(taken, span{m[0], m[1]})
	}
	defs := map[string]string{}
	for _, m := range findAt(mdDef, src, 2048, atLineStart) {
		if inCode(m[0]) {
			continue
		}
		label := refLabel(src[m[2]:m[3]])
		dest := strings.Trim(src[m[4]:m[5]], "<>")
		if _, ok := defs[label]; !ok {
			defs[label] = dest
		}
		st.links = append(st.links, link{span: span{m[0], m[1]}, text: src[m[2]:m[3]], dest: dest, def: true})
		st.mask(src, m[4], m[5])
		taken = append(taken, span{m[0], m[1]})
	}
	for _, m := range mdRef.FindAllStringSubmatchIndex(src, -1) {
		if inCode(m[0]) || escaped(src, m[0]) {
			continue
		}
		label := refLabel(src[m[4]:m[5]])
		if label == "" {
			label = refLabel(src[m[2]:m[3]])
		}
		if dest, ok := defs[label]; ok {
			st.links = append(st.links, link{span: span{m[0], m[1]}, text: linkText(src[m[2]:m[3]]), dest: dest, after: after(src, m[1]), ref: true})
			taken = append(taken, span{m[0], m[1]})
		}
	}
	for _, m := range autolink.FindAllStringSubmatchIndex(src, -1) {
		if inCode(m[0]) {
			continue
		}
		dest := src[m[2]:m[3]]
		st.links = append(st.links, link{span: span{m[0], m[1]}, text: dest, dest: dest, after: after(src, m[1]), bare: true})
		st.mask(src, m[2], m[3])
		taken = append(taken, span{m[0], m[1]})
	}
	return code, taken
}

// html reads a, img, table and heading elements from HTML (a whole body, or
// the raw HTML in Markdown, outside code) and returns the spans of their
// tags and links.
func (st *structure) html(src string, code []span) []span {
	var taken []span
	z := xhtml.NewTokenizer(strings.NewReader(src))
	off := 0
	var (
		a      *link // the open <a>
		atext  strings.Builder
		tables []int // open tables, as indexes into st.tables
		h      *heading
	)
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			break
		}
		raw := z.Raw()
		start := off
		off += len(raw)
		switch tt {
		case xhtml.TextToken:
			if a != nil {
				atext.Write(raw)
			}
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			if within(code, start) {
				continue
			}
			name, _ := z.TagName()
			taken = append(taken, span{start, off})
			attrs := st.attrs(src, start, off)
			switch tag := string(name); tag {
			case "a":
				if href, ok := attrs["href"]; ok && tt == xhtml.StartTagToken {
					a = &link{span: span{start, off}, dest: href}
					atext.Reset()
				}
			case "img":
				alt, ok := attrs["alt"]
				st.images = append(st.images, image{span: span{start, off}, alt: strings.TrimSpace(alt), hasAlt: ok, html: true})
				if a != nil {
					atext.WriteString(alt)
				}
			case "table":
				st.tables = append(st.tables, table{span: span{start, off}})
				tables = append(tables, len(st.tables)-1)
			case "th":
				if len(tables) > 0 {
					st.tables[tables[len(tables)-1]].header = true
				}
			case "h1", "h2", "h3", "h4", "h5", "h6":
				h = &heading{span: span{start, off}, level: int(tag[1] - '0')}
			}
		case xhtml.EndTagToken:
			if within(code, start) {
				continue
			}
			name, _ := z.TagName()
			switch tag := string(name); tag {
			case "a":
				if a != nil {
					a.end = off
					a.text = strings.TrimSpace(html.UnescapeString(atext.String()))
					a.after = after(src, off)
					st.links = append(st.links, *a)
					taken = append(taken, a.span)
					a = nil
				}
			case "table":
				if len(tables) > 0 {
					tables = tables[:len(tables)-1]
				}
			case "h1", "h2", "h3", "h4", "h5", "h6":
				if h != nil {
					h.end = off
					st.headings = append(st.headings, *h)
					h = nil
				}
			}
		}
	}
	if a != nil { // never closed: the link is its start tag
		a.text = strings.TrimSpace(html.UnescapeString(atext.String()))
		st.links = append(st.links, *a)
	}
	return taken
}

// attrs reads a tag's attributes and masks the addresses in href and src.
func (st *structure) attrs(src string, start, end int) map[string]string {
	out := map[string]string{}
	tag := src[start:end]
	for _, m := range htmlAttr.FindAllStringSubmatchIndex(tag, -1) {
		key := strings.ToLower(tag[m[2]:m[3]])
		if _, seen := out[key]; seen {
			continue
		}
		v := ""
		if m[4] >= 0 {
			v = tag[m[4]:m[5]]
			vs, ve := m[4], m[5]
			if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') {
				v, vs, ve = v[1:len(v)-1], vs+1, ve-1
			}
			if key == "href" || key == "src" {
				st.mask(src, start+vs, start+ve)
			}
		}
		out[key] = html.UnescapeString(v)
	}
	return out
}

// bare finds addresses written as text, outside code and links.
func (st *structure) bare(src string, taken []span) {
	for _, m := range findAt(bareURL, src, 2048, startsWith("hHwW")) {
		s, e := m[0], m[1]
		if s > 0 && strings.IndexByte("@./:-_", src[s-1]) >= 0 || isASCIIWord(src, s-1) || within(taken, s) {
			continue
		}
		e = s + len(trimURL(src[s:e]))
		if e == s {
			continue
		}
		dest := src[s:e]
		if strings.HasPrefix(strings.ToLower(dest), "www.") {
			dest = "http://" + dest
		}
		st.links = append(st.links, link{span: span{s, e}, text: src[s:e], dest: dest, after: after(src, e), bare: true})
		st.masks = append(st.masks, span{s, e})
	}
}

// mask hides a link address from the text checks, unless it is an e-mail
// address or a phone number: those are what the personal-information
// checks look for.
func (st *structure) mask(src string, start, end int) {
	d := strings.ToLower(strings.TrimLeft(src[start:end], "< "))
	if strings.HasPrefix(d, "mailto:") || strings.HasPrefix(d, "tel:") || start >= end {
		return
	}
	st.masks = append(st.masks, span{start, end})
}

// leaveTarget is the destination of a link already sent through the
// portal's /leave notice, or dest itself.
// Its query may carry more than to= (the signature, sig=).
func leaveTarget(dest string) string {
	if q, ok := strings.CutPrefix(strings.TrimSpace(dest), "/leave?"); ok {
		if v, err := url.ParseQuery(q); err == nil && v.Get("to") != "" {
			return v.Get("to")
		}
	}
	return dest
}

// trimURL drops what Linkify leaves out of an address: trailing
// punctuation, and a closing bracket that has no opening one.
func trimURL(u string) string {
	for u != "" {
		c := u[len(u)-1]
		switch {
		case strings.IndexByte(".,:;!?'\"*_~", c) >= 0:
			u = u[:len(u)-1]
		case c == ')' && strings.Count(u, "(") < strings.Count(u, ")"),
			c == ']' && strings.Count(u, "[") < strings.Count(u, "]"):
			u = u[:len(u)-1]
		default:
			return u
		}
	}
	return u
}

// linkText is what a reader hears for Markdown link text: an image's alt
// for a linked image, without emphasis marks.
func linkText(s string) string {
	s = mdImage.ReplaceAllStringFunc(s, func(img string) string {
		if m := mdImage.FindStringSubmatch(img); m != nil {
			return m[1]
		}
		return img
	})
	return strings.TrimSpace(mdMarks.Replace(s))
}

func refLabel(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// after is up to 48 bytes of src from b, cut at a line end.
func after(src string, b int) string {
	s := src[b:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 48 {
		s = s[:48]
		for len(s) > 0 && s[len(s)-1]&0xC0 == 0x80 {
			s = s[:len(s)-1]
		}
		if len(s) > 0 && s[len(s)-1] >= 0xC0 {
			s = s[:len(s)-1]
		}
	}
	return s
}

// escaped reports whether the byte at b is escaped by a backslash.
func escaped(src string, b int) bool {
	n := 0
	for i := b - 1; i >= 0 && src[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

func isASCIIWord(src string, b int) bool {
	if b < 0 || b >= len(src) {
		return false
	}
	c := src[b]
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// within reports whether b lies in one of spans (merged: sorted, not
// overlapping).
func within(spans []span, b int) bool {
	i := sort.Search(len(spans), func(i int) bool { return spans[i].end > b })
	return i < len(spans) && spans[i].start <= b
}

// merge sorts spans and joins the overlapping ones.
func merge(spans []span) []span {
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	var out []span
	for _, s := range spans {
		if n := len(out); n > 0 && s.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, s.end)
			continue
		}
		out = append(out, s)
	}
	return out
}
