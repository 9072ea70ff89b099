package check

import "testing"

// Personal information on real Japanese text. contact (check_test.go) is the
// division's contact block: its phone, fax, mail address and the ward
// office's address are allowed.

func TestPhones(t *testing.T) {
	runCases(t, Phones, contact, []checkCase{
		{"hyphenated landline", "連絡は03-1234-5678まで", []got{{"pii.phone", Error, 3, 15, "03-1234-5678"}}},
		{"full-width digits and brackets", "携帯０９０（１２３４）５６７８へ", []got{{"pii.phone", Error, 2, 15, "０９０（１２３４）５６７８"}}},
		{"long-vowel mark as dash", "090ー1234ー5678", []got{{"pii.phone", Error, 0, 13, "090ー1234ー5678"}}},
		{"mobile without hyphens", "09012345678に電話してください", []got{{"pii.phone", Error, 0, 11, "09012345678"}}},
		{"area code in brackets", "(03)1234-5678", []got{{"pii.phone", Error, 0, 13, "(03)1234-5678"}}},
		{"toll free with hyphens", "フリーダイヤル0120-123-456", []got{{"pii.phone", Error, 7, 19, "0120-123-456"}}},
		{"toll free with spaces", "0120 123 456（平日のみ）", []got{{"pii.phone", Error, 0, 12, "0120 123 456"}}},
		{"IP phone", "050-1234-5678", []got{{"pii.phone", Error, 0, 13, "050-1234-5678"}}},
		{"international form", "+81-3-1234-5678", []got{{"pii.phone", Error, 0, 15, "+81-3-1234-5678"}}},
		{"local number after a label", "電話：1234-5678（代表）", []got{{"pii.phone", Error, 3, 12, "1234-5678"}}},
		{"two numbers", "TEL 03-1234-5678 FAX 03-1234-5679", []got{{"pii.phone", Error, 4, 16, "03-1234-5678"}, {"pii.phone", Error, 21, 33, "03-1234-5679"}}},
		{"the division's own number passes", "中野区役所（電話03-3389-1111）", nil},
		{"the division's fax in full width passes", "ファクス ０３－３２２８－５４７６", nil},
		{"the division's number without area code passes", "電話 3389-1111", nil},
		{"postal code", "〒164-8501 中野区中野4丁目", nil},
		{"date", "2026-03-01に開催", nil},
		{"amounts", "参加費50,000円、定員120名、補助上限1,000,000円", nil},
		{"time of day", "令和7年1月18日 10時00分から", nil},
		{"too many digits for a phone", "受付番号 01234567890123", nil},
		{"ten digits not starting with 0", "整理番号1234567890", nil},
		{"in a link address", "[資料](https://example.jp/d/0312345678)", nil},
	})
}

func TestEmails(t *testing.T) {
	runCases(t, Emails, contact, []checkCase{
		{"address", "taro@example.jp へ", []got{{"pii.email", Error, 0, 15, "taro@example.jp"}}},
		{"full width", "ＴＡＲＯ＠ＥＸＡＭＰＬＥ．ＪＰ", []got{{"pii.email", Error, 0, 15, "ＴＡＲＯ＠ＥＸＡＭＰＬＥ．ＪＰ"}}},
		{"at in brackets", "hanako(at)example.co.jp まで", []got{{"pii.email", Error, 0, 23, "hanako(at)example.co.jp"}}},
		{"star for at", "hanako★example.co.jp（★を@に）", []got{{"pii.email", Error, 0, 20, "hanako★example.co.jp"}}},
		{"in a mailto link", "[メール](mailto:taro@example.jp)", []got{{"pii.email", Error, 13, 28, "taro@example.jp"}}},
		{"the division's address passes", "chiiki@city.tokyo-nakano.lg.jp", nil},
		{"the division's address in capitals passes", "CHIIKI@City.Tokyo-Nakano.lg.jp", nil},
		{"a social media handle", "@nakano_city をフォロー", nil},
	})
}

func TestAddresses(t *testing.T) {
	runCases(t, Addresses, contact, []checkCase{
		{"番 and 号 after 丁目", "会場は中野区中野4丁目8番1号です", []got{{"pii.address", Error, 11, 15, "8番1号"}}},
		{"dashes after a town", "中野4-8-1", []got{{"pii.address", Error, 2, 7, "4-8-1"}}},
		{"room number", "3-2-1 101号室", []got{{"pii.address", Error, 0, 11, "3-2-1 101号室"}}},
		{"kanji numbers", "中野四丁目八番一号", []got{{"pii.address", Error, 5, 9, "八番一号"}}},
		{"番地", "大字上野123番地", []got{{"pii.address", Error, 4, 9, "123番地"}}},
		{"番地の", "123番地の4に集合", []got{{"pii.address", Error, 0, 7, "123番地の4"}}},
		{"room alone", "101号室まで", []got{{"pii.address", Error, 0, 5, "101号室"}}},
		{"full width", "中野４－８－１", []got{{"pii.address", Error, 2, 7, "４－８－１"}}},
		{"the town and 丁目 pass", "中野4丁目の公園", nil},
		{"an article number", "条例第2号、第8条4項", nil},
		{"a platform", "1番線ホーム", nil},
		{"a phone number", "03-3389-1111", nil},
		{"numbers without a town", "スコアは3-2-1でした", nil},
		{"a public facility's registered address", "会場：中野区役所（中野区中野4-11-19）", nil},
		{"the same address written another way", "中野区中野4丁目11番19号", nil},
		{"the next house is not allowed", "中野4丁目11番20号", []got{{"pii.address", Error, 5, 11, "11番20号"}}},
	})
}
