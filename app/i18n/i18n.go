// Package i18n is the message catalogue (ja default, en) on top of
// github.com/nicksnyder/go-i18n, and the one helper that formats dates the
// Japanese way.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.json
var localeFS embed.FS

// Languages the portal speaks; the first is the default.
var Languages = []string{"ja", "en"}

// Default is the language of a visitor who has not chosen one.
const Default = "ja"

// Supported reports whether lang is one of Languages.
func Supported(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// Catalog looks messages up by id.
type Catalog struct {
	bundle     *goi18n.Bundle
	localizers map[string]*goi18n.Localizer
	// plain holds messages without template actions or plural forms, so the
	// common case is a map lookup rather than a template execution.
	plain map[string]map[string]string
	ids   map[string]map[string]bool
	// counted remembers messages whose only data is a small Count: a list
	// says 返信3件 twenty times a page, and executing the message's template
	// costs more than the rest of the list item.
	counted sync.Map // countKey → string
}

type countKey struct {
	lang, id string
	n        int
}

// countedMax bounds the counts remembered.
const countedMax = 1000

// Load reads the embedded catalogues.
func Load() (*Catalog, error) {
	c := &Catalog{
		bundle:     goi18n.NewBundle(language.Japanese),
		localizers: map[string]*goi18n.Localizer{},
		plain:      map[string]map[string]string{},
		ids:        map[string]map[string]bool{},
	}
	c.bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
	for _, lang := range Languages {
		path := "locales/" + lang + ".json"
		if _, err := c.bundle.LoadMessageFileFS(localeFS, path); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", path, err)
		}
		c.localizers[lang] = goi18n.NewLocalizer(c.bundle, lang)
		raw, err := fs.ReadFile(localeFS, path)
		if err != nil {
			return nil, err
		}
		var flat map[string]any
		if err := json.Unmarshal(raw, &flat); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", path, err)
		}
		c.plain[lang] = map[string]string{}
		c.ids[lang] = map[string]bool{}
		for id, v := range flat {
			c.ids[lang][id] = true
			if s, ok := v.(string); ok && !strings.Contains(s, "{{") {
				c.plain[lang][id] = s
			}
		}
	}
	return c, nil
}

// MustLoad is Load for program start and tests.
func MustLoad() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

// T returns message id in lang. data fills {{.Name}} placeholders; a "Count"
// key selects the plural form. A missing id returns the id itself, which the
// catalogue tests catch.
func (c *Catalog) T(lang, id string, data ...map[string]any) string {
	if len(data) == 0 {
		if s, ok := c.plain[lang][id]; ok {
			return s
		}
	}
	if len(data) == 1 && len(data[0]) == 1 {
		if n, ok := data[0]["Count"].(int); ok && n >= 0 && n < countedMax {
			k := countKey{lang, id, n}
			if s, ok := c.counted.Load(k); ok {
				return s.(string)
			}
			s := c.localize(lang, id, data[0])
			c.counted.Store(k, s)
			return s
		}
	}
	var d map[string]any
	if len(data) > 0 {
		d = data[0]
	}
	return c.localize(lang, id, d)
}

func (c *Catalog) localize(lang, id string, data map[string]any) string {
	l, ok := c.localizers[lang]
	if !ok {
		l = c.localizers[Default]
	}
	cfg := &goi18n.LocalizeConfig{MessageID: id}
	if data != nil {
		cfg.TemplateData = data
		if n, ok := data["Count"]; ok {
			cfg.PluralCount = n
		}
	}
	s, err := l.Localize(cfg)
	if err != nil {
		return id
	}
	return s
}

// Has reports whether id exists in lang.
func (c *Catalog) Has(lang, id string) bool {
	return c.ids[lang][id]
}

// IDs lists the message ids of lang's catalogue.
func IDs(lang string) ([]string, error) {
	raw, err := fs.ReadFile(localeFS, "locales/"+lang+".json")
	if err != nil {
		return nil, err
	}
	var flat map[string]json.RawMessage
	if err := json.Unmarshal(raw, &flat); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(flat))
	for id := range flat {
		ids = append(ids, id)
	}
	return ids, nil
}
