package export

import (
	"io"

	"github.com/xuri/excelize/v2"
)

// XLSX writes an Excel workbook of one sheet through excelize's stream
// writer, which keeps at most 16 MB of rows in memory and spills the rest
// to a temporary file until Close writes the workbook to w. Every value is
// a text cell, so nothing can be read as a formula and leading zeros of
// phone numbers and postal codes stay.
type XLSX struct {
	f    *excelize.File
	sw   *excelize.StreamWriter
	w    io.Writer
	row  int
	vals []any
}

// NewXLSX starts a workbook whose one sheet is named sheet.
func NewXLSX(w io.Writer, sheet string) (*XLSX, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		f.Close()
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		f.Close()
		return nil, err
	}
	// The first row is the header: keep it in view while scrolling.
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		f.Close()
		return nil, err
	}
	return &XLSX{f: f, sw: sw, w: w}, nil
}

// Row adds one row of text cells.
func (x *XLSX) Row(cells [][]byte) error {
	x.row++
	x.vals = x.vals[:0]
	for _, c := range cells {
		x.vals = append(x.vals, string(c))
	}
	name, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(name, x.vals)
}

// Close writes the workbook to w and removes the temporary files.
func (x *XLSX) Close() error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return err
	}
	_, err := x.f.WriteTo(x.w)
	return err
}

// Report is empty: a workbook holds every character.
func (x *XLSX) Report() Report { return Report{} }
