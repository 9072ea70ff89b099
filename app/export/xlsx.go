package export

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"io"
	"strconv"

	"github.com/klauspost/compress/flate"
)

// XLSX writes an Excel workbook of one sheet straight into w as rows come:
// the package's fixed parts first, then the sheet's rows deflated into the
// zip as they are written, so memory stays the same whatever the row count.
// (excelize, which the tests use to read the files back, builds the whole
// zip in memory before writing it: 165 MB above idle for 350,000 members.)
//
// Every value is an inline text cell, so nothing is read as a formula and
// the leading zeros of phone numbers and postal codes stay. The first row
// is the header, bold and frozen in view.
type XLSX struct {
	zw  *zip.Writer
	bw  *bufio.Writer
	row int
}

// The parts of a minimal SpreadsheetML package (ECMA-376) with one sheet.
const (
	xlsxContentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
		`</Types>`
	xlsxRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
		`</Relationships>`
	xlsxWorkbookRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
		`</Relationships>`
	xlsxStyles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>` +
		`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
		`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
		`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
		`<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
		`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>` +
		`</styleSheet>`
	xlsxSheetStart = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>` +
		`<sheetData>`
	xlsxSheetEnd = `</sheetData></worksheet>`
)

// NewXLSX starts a workbook whose one sheet is named sheet.
func NewXLSX(w io.Writer, sheet string) (*XLSX, error) {
	zw := zip.NewWriter(w)
	// Deflate at the fastest level: text compresses well at any level,
	// and the workbook is being waited for.
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	var name bytes.Buffer
	if err := xml.EscapeText(&name, []byte(sheet)); err != nil {
		return nil, err
	}
	workbook := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
		`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<sheets><sheet name="` + name.String() + `" sheetId="1" r:id="rId1"/></sheets></workbook>`
	for _, part := range [][2]string{
		{"[Content_Types].xml", xlsxContentTypes},
		{"_rels/.rels", xlsxRels},
		{"xl/workbook.xml", workbook},
		{"xl/_rels/workbook.xml.rels", xlsxWorkbookRels},
		{"xl/styles.xml", xlsxStyles},
	} {
		f, err := zw.Create(part[0])
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(f, part[1]); err != nil {
			return nil, err
		}
	}
	f, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return nil, err
	}
	x := &XLSX{zw: zw, bw: bufio.NewWriterSize(f, 64<<10)}
	_, err = x.bw.WriteString(xlsxSheetStart)
	return x, err
}

// Row adds one row of text cells; the first row is styled as the header.
func (x *XLSX) Row(cells [][]byte) error {
	x.row++
	r := strconv.Itoa(x.row)
	x.bw.WriteString(`<row r="` + r + `">`)
	style := ""
	if x.row == 1 {
		style = ` s="1"`
	}
	for i, c := range cells {
		if len(c) == 0 {
			continue
		}
		x.bw.WriteString(`<c r="` + columnName(i) + r + `" t="inlineStr"` + style + `><is><t xml:space="preserve">`)
		if err := xml.EscapeText(x.bw, c); err != nil {
			return err
		}
		x.bw.WriteString(`</t></is></c>`)
	}
	_, err := x.bw.WriteString(`</row>`)
	return err
}

// columnName is the spreadsheet name of column i (0 → A, 26 → AA).
func columnName(i int) string {
	name := ""
	for i++; i > 0; i = (i - 1) / 26 {
		name = string(rune('A'+(i-1)%26)) + name
	}
	return name
}

// Close ends the sheet and the zip.
func (x *XLSX) Close() error {
	if _, err := x.bw.WriteString(xlsxSheetEnd); err != nil {
		return err
	}
	if err := x.bw.Flush(); err != nil {
		return err
	}
	return x.zw.Close()
}

// Report is empty: a workbook holds every character.
func (x *XLSX) Report() Report { return Report{} }
