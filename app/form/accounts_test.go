package form

import "testing"

func TestProfileNormalizeAndValidate(t *testing.T) {
	t.Parallel()
	good := Profile{Name: " 山田　花子 ", NameKana: "やまだ　はなこ", PostalCode: "１６００００４", Address: "東京都新宿区四谷１丁目２番３号",
		Phone: "０３ー１２３４ー５６７８", Fax: "", Email: "Hanako@Example.JP", Handle: "はなこ"}
	good.Normalize()
	if errs := good.Validate(); errs.Any() {
		t.Fatalf("valid profile rejected: %v", errs)
	}
	want := Profile{Name: "山田 花子", NameKana: "ヤマダ ハナコ", PostalCode: "160-0004", Address: "東京都新宿区四谷1丁目2番3号",
		Phone: "03-1234-5678", Email: "Hanako@example.jp", Handle: "はなこ"}
	if good != want {
		t.Errorf("normalised to %+v, want %+v", good, want)
	}
	cases := []struct {
		mut   func(*Profile)
		field string
		id    string
	}{
		{func(p *Profile) { p.Name = "" }, "name", "form.err.name_required"},
		{func(p *Profile) { p.NameKana = "山田" }, "name_kana", "form.err.kana_only"},
		{func(p *Profile) { p.PostalCode = "160" }, "postal_code", "form.err.postal"},
		{func(p *Profile) { p.Address = "" }, "address", "form.err.address_required"},
		{func(p *Profile) { p.Phone = "1234" }, "phone", "form.err.phone"},
		{func(p *Profile) { p.Fax = "abc" }, "fax", "form.err.fax"},
		{func(p *Profile) { p.Email = "nope" }, "email", "form.err.email"},
		{func(p *Profile) { p.Handle = "あ" }, "handle", "form.err.handle_length"},
		{func(p *Profile) { p.Handle = "withdrawn-1" }, "handle", "form.err.handle_reserved"},
	}
	for _, c := range cases {
		p := want
		c.mut(&p)
		p.Normalize()
		errs := p.Validate()
		if errs[c.field] != c.id || len(errs) != 1 {
			t.Errorf("%s: errors %v, want only %s=%s", c.field, errs, c.field, c.id)
		}
	}
	r := Registration{Profile: want}
	if errs := r.Validate(); errs["agree"] != "form.err.agree" {
		t.Errorf("registration without agreement: %v", errs)
	}
}

func TestTown(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"東京都新宿区西新宿2丁目3番4号": "西新宿",
		"新宿区四谷三丁目1番":       "四谷",
		"高田馬場1-2-3":        "高田馬場",
		"どこか":              "",
	} {
		if got := Town(in); got != want {
			t.Errorf("Town(%q) = %q, want %q", in, got, want)
		}
	}
}
