package form

import (
	"strings"
	"testing"
)

func TestInquiryValidate(t *testing.T) {
	ok := Inquiry{Division: "3", Subject: "ごみの出し方", Body: "教えてください。", Name: "中野 花子", Email: "Hanako@Example.JP", Phone: "０３-１２３４-５６７８"}
	ok.Normalize()
	if errs := ok.Validate([]string{"3"}); errs.Any() {
		t.Fatalf("valid inquiry refused: %v", errs)
	}
	if ok.Email != "Hanako@example.jp" || ok.Phone != "03-1234-5678" {
		t.Fatalf("normalised: %q %q", ok.Email, ok.Phone)
	}
	bad := Inquiry{Division: "4", Subject: strings.Repeat("あ", InquirySubjectMax+1), Body: "", Name: "", Email: "not-an-address", Phone: "12"}
	bad.Normalize()
	errs := bad.Validate([]string{"3"})
	for _, f := range []string{"division", "subject", "body", "name", "email", "phone"} {
		if errs[f] == "" {
			t.Errorf("%s: no error for %+v", f, bad)
		}
	}
	if (&InquiryText{}).Validate()["text"] == "" {
		t.Error("empty answer accepted")
	}
}
