package components

import (
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/wardportal/portal/app/form"
)

// Every field kind is accessible the same way: its control is named by its
// label (or a group by its legend), its hint and its error are tied to it,
// it is marked invalid exactly while the error stands, and what was typed or
// chosen shows back.
func TestFieldKinds(t *testing.T) {
	t.Parallel()
	opts := []Option{{Value: "a", Label: "エー"}, {Value: "b", Label: "ビー", Note: "個人情報"}}
	spec := FieldSpec{Name: "thing", LabelKey: "board.title", HintKey: "board.title_hint", Required: true}
	errs := form.Errors{"thing": "form.err.title_required"}
	cases := []struct {
		name    string
		comp    func(errs form.Errors) templ.Component
		group   bool     // a fieldset of options rather than one control
		control string   // the element carrying the name
		value   []string // what shows back as chosen or typed
	}{
		{"text", func(e form.Errors) templ.Component {
			return Field(with(spec, func(f *FieldSpec) { f.Value = "入力した題名"; f.MaxLen = 80 }), e)
		}, false, "input[type=text]", []string{"入力した題名"}},
		{"date", func(e form.Errors) templ.Component {
			return DateField(with(spec, func(f *FieldSpec) { f.Value = "2026-13-40" }), e)
		}, false, "input[type=date]", []string{"2026-13-40"}},
		{"textarea", func(e form.Errors) templ.Component {
			return TextArea(with(spec, func(f *FieldSpec) { f.Value = "一行目\n二行目"; f.Rows = 5; f.MaxLen = 2000 }), e)
		}, false, "textarea", []string{"一行目\n二行目"}},
		{"select", func(e form.Errors) templ.Component {
			return Select(with(spec, func(f *FieldSpec) { f.Value = "b"; f.PromptKey = "board.choose_category" }), opts, e)
		}, false, "select", []string{"b"}},
		{"checkbox group", func(e form.Errors) templ.Component {
			return CheckGroup(spec, opts, []string{"a", "b"}, e)
		}, true, "input[type=checkbox]", []string{"a", "b"}},
		{"radio group", func(e form.Errors) templ.Component {
			return RadioGroup(with(spec, func(f *FieldSpec) { f.Value = "b" }), opts, e)
		}, true, "input[type=radio]", []string{"b"}},
	}
	for _, c := range cases {
		for _, withErr := range []bool{false, true} {
			var e form.Errors
			if withErr {
				e = errs
			}
			doc := render(t, "ja", c.comp(e))
			name := c.name
			if withErr {
				name += " with an error"
			}
			controls := doc.Find(c.control + "[name=thing]")
			if controls.Length() == 0 {
				t.Fatalf("%s: no %s named thing", name, c.control)
			}
			// Named by its label or legend.
			controls.Each(func(_ int, s *goquery.Selection) {
				id, _ := s.Attr("id")
				if id == "" || doc.Find("label[for='"+id+"']").Length() != 1 {
					t.Errorf("%s: control %q has no label", name, id)
				}
			})
			label := doc.Find("label[for=f-thing]")
			if c.group {
				label = doc.Find("fieldset#f-thing > legend")
			}
			if !strings.Contains(label.Text(), "題名") {
				t.Errorf("%s: label %q", name, label.Text())
			}
			// Described by the hint and the error, which exist.
			described := controls.First()
			if c.group {
				described = doc.Find("fieldset#f-thing")
			}
			d, _ := described.Attr("aria-describedby")
			want := []string{"f-thing-hint"}
			if withErr {
				want = append(want, "f-thing-error")
			}
			if got := strings.Fields(d); !slices.Equal(got, want) {
				t.Errorf("%s: aria-describedby %q, want %q", name, d, want)
			}
			for _, id := range want {
				if doc.Find("#"+id).Length() != 1 {
					t.Errorf("%s: #%s is missing", name, id)
				}
			}
			if withErr && strings.TrimSpace(doc.Find("#f-thing-error").Text()) != "題名を入力してください。" {
				t.Errorf("%s: error text %q", name, doc.Find("#f-thing-error").Text())
			}
			// Marked invalid exactly while the error stands.
			controls.Each(func(_ int, s *goquery.Selection) {
				v, has := s.Attr("aria-invalid")
				if withErr != (has && v == "true") {
					t.Errorf("%s: aria-invalid %q (present %v)", name, v, has)
				}
			})
			// Shows back what was typed or chosen.
			var got []string
			switch c.control {
			case "textarea":
				got = []string{controls.Text()}
			case "select":
				got = []string{doc.Find("option[selected]").AttrOr("value", "")}
			case "input[type=checkbox]", "input[type=radio]":
				doc.Find(c.control + "[checked]").Each(func(_ int, s *goquery.Selection) { got = append(got, s.AttrOr("value", "")) })
			default:
				got = []string{controls.AttrOr("value", "")}
			}
			if !slices.Equal(got, c.value) {
				t.Errorf("%s: shows back %q, want %q", name, got, c.value)
			}
		}
	}
}

// The details of single kinds: the required mark, the select's prompt, an
// option's note, the text area's size.
func TestFieldKindDetails(t *testing.T) {
	t.Parallel()
	opts := []Option{{Value: "a", Label: "エー"}, {Value: "b", Label: "ビー", Note: "個人情報"}}
	doc := render(t, "ja", Select(FieldSpec{Name: "s", LabelKey: "board.category", PromptKey: "board.choose_category"}, opts, nil))
	if first := doc.Find("option").First(); first.AttrOr("value", "x") != "" || first.Text() != "選んでください" {
		t.Errorf("prompt option %q %q", first.AttrOr("value", "x"), first.Text())
	}
	if doc.Find("option[selected]").Length() != 0 || doc.Find("select[required]").Length() != 0 || doc.Find("label .opt").Length() != 1 {
		t.Error("an optional select with nothing chosen")
	}
	doc = render(t, "ja", TextArea(FieldSpec{Name: "t", LabelKey: "board.body", Required: true, MaxLen: 2000}, nil))
	ta := doc.Find("textarea")
	if ta.AttrOr("rows", "") != "4" || ta.AttrOr("maxlength", "") != "2000" || ta.Length() != 1 || doc.Find("textarea[required]").Length() != 1 ||
		doc.Find("label .req").Length() != 1 || doc.Find("textarea[aria-describedby]").Length() != 0 {
		t.Errorf("text area: rows %q maxlength %q", ta.AttrOr("rows", ""), ta.AttrOr("maxlength", ""))
	}
	doc = render(t, "ja", CheckGroup(FieldSpec{Name: "c", LabelKey: "export.columns"}, opts, nil, nil))
	if doc.Find("label[for=f-c-b] .meta").Text() != "個人情報" || doc.Find("label[for=f-c-a] .meta").Length() != 0 {
		t.Error("an option's note")
	}
	// A radio group always holds a choice: neither required nor optional.
	doc = render(t, "ja", RadioGroup(FieldSpec{Name: "r", LabelKey: "export.format", Required: true}, opts, nil))
	if doc.Find("legend .req, legend .opt").Length() != 0 {
		t.Error("a radio group is marked required or optional")
	}
	// A search box is neither required nor optional either.
	doc = render(t, "ja", Field(FieldSpec{Name: "q", LabelKey: "board.search", Type: "search", Unmarked: true}, nil))
	if doc.Find("label .req, label .opt").Length() != 0 || doc.Find("input[type=search][name=q]").Length() != 1 {
		t.Error("a search box is marked required or optional")
	}
}

func with(f FieldSpec, change func(*FieldSpec)) FieldSpec {
	change(&f)
	return f
}
