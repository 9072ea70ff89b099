package form

import "testing"

func TestReading(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   Reading
		errs []string
	}{
		{Reading{SizeLarge, BackgroundBlack, FuriganaOn}, nil},
		{Reading{" larger ", "blue", "off"}, nil},
		{Reading{"huge", "blue", "off"}, []string{"size"}},
		{Reading{"", "", ""}, []string{"size", "background", "furigana"}},
		{Reading{SizeStandard, "red", "yes"}, []string{"background", "furigana"}},
	}
	for _, c := range cases {
		x := c.in
		x.Normalize()
		e := x.Validate()
		if len(e) != len(c.errs) {
			t.Errorf("%+v: errors %v, want on %v", c.in, e, c.errs)
		}
		for _, f := range c.errs {
			if e[f] != "reading.err.choice" {
				t.Errorf("%+v: no error on %s: %v", c.in, f, e)
			}
		}
	}
}

func TestReadingCookie(t *testing.T) {
	t.Parallel()
	r := Reading{SizeLarger, BackgroundBlue, FuriganaOn}
	if got := ParseReading(r.Cookie()); got != r {
		t.Errorf("round trip: %+v", got)
	}
	for v, want := range map[string]Reading{
		"":                      ReadingStandard,
		"large":                 ReadingStandard,
		"large.pink.on":         {SizeLarge, BackgroundStandard, FuriganaOn},
		"x.black.maybe":         {SizeStandard, BackgroundBlack, FuriganaOff},
		"large.black.on.extra":  ReadingStandard,
		"standard.standard.off": ReadingStandard,
		"larger.blue.off":       {SizeLarger, BackgroundBlue, FuriganaOff},
	} {
		if got := ParseReading(v); got != want {
			t.Errorf("ParseReading(%q) = %+v, want %+v", v, got, want)
		}
	}
	if !ReadingStandard.Standard() || r.Standard() || !r.Ruby() {
		t.Error("Standard/Ruby")
	}
}
