package handlers

import (
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
)

// listUsers answers GET /api/users (admins): {"items": [...]}.
func (s *Server) listUsers(c *echo.Context) error {
	if err := readParams(c).err(); err != nil {
		return err
	}
	us, err := s.Users.FindUsers(c.Request().Context())
	if err != nil {
		return err
	}
	if us == nil {
		us = []geo.User{}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": us})
}

// createUser answers POST /api/users {email, role} (admins): 201 with
// the account and "password_link", the one-time link that sets its
// password, shown once.
func (s *Server) createUser(c *echo.Context) error {
	var in struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	u, link, err := s.Users.CreateUser(c.Request().Context(), in.Email, in.Role)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, struct {
		*geo.User
		PasswordLink string `json:"password_link"`
	}{u, s.absoluteURL(c, PasswordLinkPath+link)})
}

// updateUser answers PATCH /api/users/{id} {role} (admins): the account,
// whose sessions end so that the new role applies at once.
func (s *Server) updateUser(c *echo.Context) error {
	id, err := pathID(c, "id", "user")
	if err != nil {
		return err
	}
	var in struct {
		Role string `json:"role"`
	}
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	u, err := s.Users.SetRole(c.Request().Context(), id, in.Role)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

// deleteUser answers DELETE /api/users/{id} (admins): 204.
func (s *Server) deleteUser(c *echo.Context) error {
	id, err := pathID(c, "id", "user")
	if err != nil {
		return err
	}
	if err := s.Users.DeleteUser(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
