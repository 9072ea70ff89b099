package components

import (
	"bytes"
	"context"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/wardportal/portal/app/i18n"
)

// render renders c as a page would, in lang, and parses the result.
func render(t *testing.T, lang string, c templ.Component) *goquery.Document {
	t.Helper()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithRequest(context.Background(), &Request{Lang: lang, Catalog: cat})
	var buf bytes.Buffer
	if err := c.Render(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
