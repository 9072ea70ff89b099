package app

import (
	"net/http"
	"strings"
	"testing"

	"github.com/wardportal/portal/app/form"
)

// TestRegistrationSaysWhatEachItemIsFor: before a resident types anything,
// every item of the registration form says what it is used for and who sees
// it, read by screen readers with the control, and the form leads to the
// privacy policy.
func TestRegistrationSaysWhatEachItemIsFor(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	for _, lang := range []string{"ja", "en"} {
		res := e.client().get("/register?lang=" + lang)
		res.wantStatus(t, http.StatusOK)
		if res.Doc.Find(`main .data-use a[href^="/privacy"]`).Length() != 1 {
			t.Errorf("%s: no link to the privacy policy above the form", lang)
		}
		html, _ := res.Doc.Find("main form").Html()
		for _, name := range form.ProfileFields {
			use := res.Doc.Find("#f-" + name + "-use")
			if got, want := strings.TrimSpace(use.Text()), e.app.catalog.T(lang, "register.use."+name); got != want {
				t.Errorf("%s %s: use %q, want %q", lang, name, got, want)
			}
			if d := res.Doc.Find("#f-"+name).AttrOr("aria-describedby", ""); !strings.Contains(d, "f-"+name+"-use") {
				t.Errorf("%s %s: aria-describedby=%q leaves the use out", lang, name, d)
			}
			// Read before the control, not after it.
			if strings.Index(html, `id="f-`+name+`-use"`) > strings.Index(html, `id="f-`+name+`"`) {
				t.Errorf("%s %s: the use comes after the control", lang, name)
			}
		}
	}
	ja := e.app.catalog
	if !strings.Contains(ja.T("ja", "register.use.handle"), "公開") || strings.Contains(ja.T("ja", "register.use.address"), "誰でも") {
		t.Error("the handle is the one public item")
	}
}
