package app

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,29}$`)

// categoryNameMax bounds a category name.
const categoryNameMax = 30

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
	cat := db.BoardCategory{Slug: form.Fold(c.FormValue("slug")), NameJa: form.Text(c.FormValue("name_ja")),
		NameEn: form.Text(c.FormValue("name_en"))}
	cat.ID, _ = strconv.ParseInt(c.FormValue("id"), 10, 64)
	cat.SortOrder, _ = strconv.Atoi(form.Text(c.FormValue("sort_order")))
	errs := form.Errors{}
	if !slugPattern.MatchString(cat.Slug) {
		errs.Add("slug", "form.err.slug")
	}
	if cat.NameJa == "" || form.Len(cat.NameJa) > categoryNameMax {
		errs.Add("name_ja", "form.err.category_name")
	}
	if cat.NameEn == "" || form.Len(cat.NameEn) > categoryNameMax {
		errs.Add("name_en", "form.err.category_name")
	}
	if !errs.Any() {
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
	return a.boardAdminPage(c, http.StatusUnprocessableEntity, components.BoardAdminState{Editing: cat, CatErrs: errs})
}

// addWord adds a word moderators want flagged.
func (a *App) addWord(c echo.Context) error {
	word := form.Text(c.FormValue("word"))
	errs := form.Errors{}
	if word == "" || form.Len(word) > form.WordMax {
		errs.Add("word", "form.err.word")
	}
	if !errs.Any() {
		err := a.db.AddModerationWord(c.Request().Context(), word, currentUser(c))
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
	return a.boardAdminPage(c, http.StatusUnprocessableEntity, components.BoardAdminState{Word: word, WordErrs: errs})
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
