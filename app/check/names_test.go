package check

import "testing"

// namesAllowed is contact with the allowances names look at: the contact
// block's staff (佐藤 一郎), a consent record for 山田太郎, and two places
// the ward lists because IPADIC tags them as surnames.
var namesAllowed = Allowances{
	StaffNames:     contact.StaffNames,
	ConsentedNames: []string{"山田 太郎"},
	Places:         []string{"大久保", "江古田の森"},
}

func TestNames(t *testing.T) {
	runCases(t, Names, namesAllowed, []checkCase{
		{"surname with さん", "田中さんが参加しました", []got{{"pii.name", Error, 0, 4, "田中さん"}}},
		{"full name with 様", "伊藤健太様からご寄付をいただきました", []got{{"pii.name", Error, 0, 5, "伊藤健太様"}}},
		{"full name with 氏", "講師は佐々木花子氏です", []got{{"pii.name", Error, 3, 9, "佐々木花子氏"}}},
		{"surname with a title", "鈴木課長が説明します", []got{{"pii.name", Error, 0, 4, "鈴木課長"}}},
		{"given name with さん", "花子さんの作品が入選しました", []got{{"pii.name", Error, 0, 4, "花子さん"}}},
		{"foreign name with さん", "スミスさんが来日します", []got{{"pii.name", Error, 0, 5, "スミスさん"}}},
		{"full name with a full-width space", "受賞者　渡辺　花子", []got{{"pii.name", Error, 4, 9, "渡辺　花子"}}},
		{"two people", "田中さんと鈴木さんが司会です", []got{{"pii.name", Error, 0, 4, "田中さん"}, {"pii.name", Error, 5, 9, "鈴木さん"}}},
		{"a bare surname", "代表 高橋", []got{{"pii.name", Error, 3, 5, "高橋"}}},
		{"another division's staff", "担当：伊藤", []got{{"pii.name", Error, 3, 5, "伊藤"}}},
		{"someone else with the staff's surname", "佐藤花子さんの作品", []got{{"pii.name", Error, 0, 6, "佐藤花子さん"}}},
	})
}

func TestNamesPass(t *testing.T) {
	runCases(t, Names, namesAllowed, []checkCase{
		{"a town named like a surname", "田中町の集会所に集合", nil},
		{"a railway line", "山田線に乗り換えます", nil},
		{"a station", "中村橋駅で下車", nil},
		{"a company", "小林製薬の工場を見学します", nil},
		{"a town with 丁目", "本町三丁目の公園", nil},
		{"a park", "四季の森公園で開催", nil},
		{"people in general", "皆さん、お客様、区民の皆様へ", nil},
		{"staff without a name", "職員が対応します", nil},
		{"the contact block's staff by surname", "担当：佐藤", nil},
		{"the contact block's staff with a title", "佐藤課長にお尋ねください", nil},
		{"the contact block's staff in full", "佐藤一郎が説明します", nil},
		{"a name with a consent record", "山田太郎様からご寄付をいただきました", nil},
		{"a place the ward lists", "大久保で待ち合わせ、江古田の森へ", nil},
	})
}

// TestNamesLimitations writes down what the analyser gets wrong, with no
// allowances, so a change of dictionary or rules shows here.
func TestNamesLimitations(t *testing.T) {
	runCases(t, Names, Allowances{}, []checkCase{
		// IPADIC tags these place names as 名詞,固有名詞,人名,姓 when they stand
		// alone; only Allowed.Places tells the check they are places.
		{"place names read as surnames", "大久保で待ち合わせ、江古田の森へ", []got{{"pii.name", Error, 0, 3, "大久保"}, {"pii.name", Error, 10, 13, "江古田"}}},
		// A name in hiragana is cut where the dictionary finds words: た|なか|さん.
		// The highlight is off by one character, but the name is still flagged.
		{"a name in hiragana", "たなかさん", []got{{"pii.name", Error, 1, 5, "なかさん"}}},
		// たろう is read as two auxiliary verbs (たろ|う), so only the surname
		// is found.
		{"a full name in hiragana", "やまだ たろう", []got{{"pii.name", Error, 0, 3, "やまだ"}}},
		// The dictionary knows historical people; the check cannot tell them from
		// residents, so an approver overrides.
		{"a historical person", "田中角栄の生家", []got{{"pii.name", Error, 0, 4, "田中角栄"}}},
		// A one-character surname alone is a common word (森, 林, 原) and passes;
		// with an honorific it is flagged.
		{"a one-character surname", "森で遊ぶ。森さんと遊ぶ", []got{{"pii.name", Error, 5, 8, "森さん"}}},
	})
}
