package app

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// boardAdmin shows the board's categories and the pre-check dictionary.
func (a *App) boardAdmin(c echo.Context) error {
	return a.boardAdminPage(c, http.StatusOK, components.BoardAdminState{})
}

func (a *App) boardAdminPage(c echo.Context, status int, s components.BoardAdminState) error {
	ctx := c.Request().Context()
	var err error
	if s.Cats, err = a.db.ListBoardCategories(ctx); err != nil {
		return err
	}
	if s.Words, err = a.db.ListModerationWords(ctx); err != nil {
		return err
	}
	return a.render(c, status, a.t(c, "board_admin.title"), components.BoardAdmin(s))
}

// saveCategory adds a category (no id) or changes one.
func (a *App) saveCategory(c echo.Context) error {
	f := form.Category{ID: c.FormValue("id"), Slug: c.FormValue("slug"), NameJa: c.FormValue("name_ja"),
		NameEn: c.FormValue("name_en"), SortOrder: c.FormValue("sort_order")}
	f.Normalize()
	p, errs, ok := f.Validate()
	if !ok {
		return fmt.Errorf("category %q: %w", f.ID, db.ErrNotFound)
	}
	if !errs.Any() {
		cat := db.BoardCategory{ID: p.ID, Slug: f.Slug, NameJa: f.NameJa, NameEn: f.NameEn, SortOrder: p.SortOrder}
		err := a.db.SaveBoardCategory(c.Request().Context(), &cat)
		switch {
		case err == nil:
			a.forgetCategories()
			a.flash(c, "success", "board_admin.saved")
			return c.Redirect(http.StatusSeeOther, "/staff/board")
		case errors.Is(err, db.ErrConflict):
			errs.Add("slug", "form.err.slug_taken")
		default:
			return err
		}
	}
	return a.boardAdminPage(c, http.StatusUnprocessableEntity, components.BoardAdminState{Editing: f, CatErrs: errs})
}

// addWord adds a word moderators want flagged.
func (a *App) addWord(c echo.Context) error {
	w := form.Word{Text: c.FormValue("word")}
	w.Normalize()
	errs := w.Validate()
	if !errs.Any() {
		err := a.db.AddModerationWord(c.Request().Context(), w.Text, currentUser(c))
		switch {
		case err == nil:
			a.flash(c, "success", "board_admin.word_added")
			return c.Redirect(http.StatusSeeOther, "/staff/board#words")
		case errors.Is(err, db.ErrConflict):
			errs.Add("word", "form.err.word_taken")
		default:
			return err
		}
	}
	return a.boardAdminPage(c, http.StatusUnprocessableEntity, components.BoardAdminState{Word: w.Text, WordErrs: errs})
}

func (a *App) deleteWord(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := a.db.DeleteModerationWord(c.Request().Context(), id); err != nil {
		return err
	}
	a.flash(c, "success", "board_admin.word_deleted")
	return c.Redirect(http.StatusSeeOther, "/staff/board#words")
}
