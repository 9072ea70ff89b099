package form

import (
	"slices"
	"strings"
	"testing"
)

func TestGroupProfileValidate(t *testing.T) {
	t.Parallel()
	fields, areas, days, images := []string{"children", "welfare"}, []string{"yotsuya", "all"}, []string{"sat", "sun"}, []string{"7"}
	valid := func() GroupProfile {
		return GroupProfile{Description: "子ども食堂です。", Fields: []string{"children"}, Areas: []string{"yotsuya"}}
	}
	for _, c := range []struct {
		name string
		edit func(*GroupProfile)
		want []string // fields with an error
	}{
		{"minimal", func(*GroupProfile) {}, nil},
		{"everything", func(f *GroupProfile) {
			f.Days, f.Images, f.Contact, f.ContactOwn = []string{"sat"}, []string{"7"}, "info@example.org", true
			f.Links = "https://example.org/\n\nhttp://example.jp/page"
		}, nil},
		{"no description", func(f *GroupProfile) { f.Description = "" }, []string{"description"}},
		{"no field or area", func(f *GroupProfile) { f.Fields, f.Areas = nil, nil }, []string{"areas", "fields"}},
		{"choices off the lists", func(f *GroupProfile) {
			f.Fields, f.Areas, f.Days, f.Images = []string{"hacking"}, []string{"mars"}, []string{"someday"}, []string{"8"}
		}, []string{"areas", "days", "fields", "images"}},
		{"contact without confirmation", func(f *GroupProfile) { f.Contact = "03-1234-5678" }, []string{"contact_own"}},
		{"script link", func(f *GroupProfile) { f.Links = "javascript:alert(1)" }, []string{"links"}},
		{"link with credentials", func(f *GroupProfile) { f.Links = "https://user:pw@example.org/" }, []string{"links"}},
		{"six links", func(f *GroupProfile) {
			f.Links = "https://a.example/\nhttps://b.example/\nhttps://c.example/\nhttps://d.example/\nhttps://e.example/\nhttps://f.example/"
		}, []string{"links"}},
		{"long summary", func(f *GroupProfile) { f.Summary = strings.Repeat("あ", GroupSummaryMax+1) }, []string{"summary"}},
	} {
		f := valid()
		c.edit(&f)
		f.Normalize()
		errs := f.Validate(fields, areas, days, images)
		var got []string
		for k := range errs {
			got = append(got, k)
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: errors on %v (%v), want %v", c.name, got, errs, c.want)
		}
	}
}

func TestGroupProfileNormalizeAndContact(t *testing.T) {
	t.Parallel()
	f := GroupProfile{Summary: "  ひとこと\n", Fields: []string{"children", " children", "", "ｗｅｌｆａｒｅ"},
		Contact: "ＴＥＬ ０３－１２３４－５６７８ ／ Ｉｎｆｏ@Example.org"}
	f.Normalize()
	if f.Summary != "ひとこと" || !slices.Equal(f.Fields, []string{"children", "welfare"}) {
		t.Fatalf("normalised: %q %v", f.Summary, f.Fields)
	}
	emails, phones := f.ContactParts()
	if !slices.Equal(emails, []string{"Info@Example.org"}) || !slices.Equal(phones, []string{"03-1234-5678"}) {
		t.Fatalf("contact parts: %v %v", emails, phones)
	}
}

func TestGroupFilterDropsUnknownChoices(t *testing.T) {
	t.Parallel()
	f := GroupFilter{Query: " 清掃 ", Field: "children", Area: "mars", Day: "ｓａｔ"}
	f.Normalize()
	if errs := f.Validate([]string{"children"}, []string{"yotsuya"}, []string{"sat"}); errs.Any() {
		t.Fatal(errs)
	}
	if f != (GroupFilter{Query: "清掃", Field: "children", Day: "sat"}) {
		t.Fatalf("%+v", f)
	}
}
