package markup

import (
	"bytes"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// fileID reads the attachment id of a link to /files/{id}/{name}.
func fileID(href string) (int64, bool) {
	rest, ok := strings.CutPrefix(href, "/files/")
	if !ok {
		return 0, false
	}
	digits, _, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	return id, err == nil && id > 0
}

// linkHref is the href of an <a> start tag the tokenizer stands on.
func linkHref(z *html.Tokenizer) (string, bool) {
	name, more := z.TagName()
	if string(name) != "a" {
		return "", false
	}
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		if string(k) == "href" {
			return string(v), true
		}
	}
	return "", false
}

// FileIDs lists the attachments the links of rendered html lead to, each
// once, in order: what LabelFiles will ask its lookup about.
func FileIDs(rendered string) []int64 {
	var out []int64
	seen := map[int64]bool{}
	z := html.NewTokenizer(strings.NewReader(rendered))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken:
			if href, ok := linkHref(z); ok {
				if id, ok := fileID(href); ok && !seen[id] {
					seen[id] = true
					out = append(out, id)
				}
			}
		}
	}
}

// LabelFiles adds to each link of rendered html (Render's output) that leads
// to an attachment, /files/{id}/{name}, the file's kind and size after the
// link's text — 「申請書（PDF 245KB）」 — as Japanese municipal sites do, so a
// resident knows what a tap downloads. lookup gives the label of an id
// (components.FileLabel); a link it does not know, a link with no text (an
// image), and a link whose text already ends with its label (the snippet
// the files page offers) are left as they are. Everything else is copied
// byte for byte, so the output is still what Render made, plus the labels.
func LabelFiles(rendered string, lookup func(id int64) (label string, ok bool)) string {
	z := html.NewTokenizer(strings.NewReader(rendered))
	var out bytes.Buffer
	out.Grow(len(rendered) + 64)
	var in int64 // the attachment of the link being copied, 0 outside one
	var text strings.Builder
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out.String()
		}
		raw := append([]byte(nil), z.Raw()...)
		switch tt {
		case html.StartTagToken:
			if href, ok := linkHref(z); ok {
				in, _ = fileID(href)
				text.Reset()
			}
		case html.TextToken:
			if in != 0 {
				text.Write(z.Text())
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "a" && in != 0 {
				label, ok := lookup(in)
				t := strings.TrimSpace(text.String())
				if ok && t != "" && !strings.HasSuffix(t, "（"+label+"）") {
					out.WriteString(html.EscapeString("（" + label + "）"))
				}
				in = 0
			}
		}
		out.Write(raw)
	}
}
