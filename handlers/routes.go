package handlers

import (
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/handlers/ogc"
)

// routes shows the whole HTTP surface. Who may call each route is in
// routeAccess (access.go), which authorize applies.
func (s *Server) routes() {
	e := s.echo
	e.Use(s.recoverPanic, s.logRequests, s.securityHeaders, s.deadline, s.limitBody, s.strictJSON, s.authenticate, s.authorize)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)

	api := e.Group("/api")
	api.GET("/session", s.getSession)
	api.POST("/session", s.signIn)
	api.DELETE("/session", s.signOut)
	api.POST("/password-links", s.requestPasswordLink)
	api.PUT("/password", s.setPassword)
	api.GET("/users", s.listUsers)
	api.POST("/users", s.createUser)
	api.PATCH("/users/:id", s.updateUser)
	api.DELETE("/users/:id", s.deleteUser)

	api.GET("/sectors", s.listSectors)
	api.GET("/sectors/:slug", s.getSector)
	api.POST("/sectors", s.createSector)
	api.PATCH("/sectors/:slug", s.updateSector)
	api.DELETE("/sectors/:slug", s.deleteSector)
	api.GET("/sector-proposals", s.listSectorProposals)
	api.POST("/sector-proposals/apply", s.applySectorProposals)

	api.GET("/actors", s.listActors)
	api.GET("/actors.geojson", s.actorsGeoJSON, s.limitHeavy)
	api.GET("/actors.csv", s.actorsCSV, s.limitHeavy)   // ?schema=data-inclusion: data·inclusion structures
	api.GET("/actors.json", s.actorsJSON, s.limitHeavy) // ?schema=data-inclusion (required)
	api.GET("/actors/nearby", s.nearbyActors)
	api.GET("/actors/facets", s.actorFacets)
	api.GET("/actors/:id", s.getActor)
	api.POST("/actors", s.createActor)
	api.PATCH("/actors/:id", s.updateActor)
	api.DELETE("/actors/:id", s.deleteActor)
	api.GET("/suggestions/form", s.suggestionForm)
	api.POST("/suggestions", s.createSuggestion, s.limitPerIP(s.opts.SuggestionsPerMinute))
	api.GET("/suggestions", s.listSuggestions)
	api.GET("/suggestions/count", s.countSuggestions)
	api.POST("/suggestions/:id/accept", s.decideSuggestion(geo.SuggestionAccepted))
	api.POST("/suggestions/:id/reject", s.decideSuggestion(geo.SuggestionRejected))
	api.POST("/suggestions/:id/merge", s.decideSuggestion(geo.SuggestionMerged))
	api.GET("/actors/:id/history", s.actorHistory)
	api.POST("/actors/:id/restore", s.restoreActor)

	api.POST("/imports", s.importFile)
	api.GET("/imports/:id", s.getImport)
	api.DELETE("/imports/:id", s.cancelImport)

	api.GET("/territories", s.listTerritories)
	api.GET("/territories/:code", s.getTerritory)
	api.POST("/territories/imports", s.importTerritories)
	api.GET("/coverage", s.coverage)
	api.GET("/coverage.geojson", s.coverageGeoJSON)
	api.GET("/coverage.csv", s.coverageCSV)

	api.GET("/geocode", s.searchAddress, s.limitPerIP(s.opts.GeocodePerMinute))
	api.GET("/geocoding/review", s.listReviews)
	api.PUT("/actors/:id/location", s.setLocation)

	api.POST("/workshops", s.createWorkshop)
	api.GET("/workshops", s.listWorkshops)
	api.POST("/workshops/join", s.joinWorkshop, s.limitJoinFailures(s.opts.WorkshopJoinFailures))
	api.GET("/workshops/:id", s.getWorkshop)
	api.PATCH("/workshops/:id", s.updateWorkshop)
	api.DELETE("/workshops/:id", s.deleteWorkshop)
	api.PUT("/workshops/:id/view", s.setWorkshopView)
	api.GET("/workshops/:id/events", s.workshopEvents(newStreamCap(s.opts.WorkshopStreamsPerIP)))
	api.GET("/workshops/:id/annotations", s.listAnnotations)
	api.POST("/workshops/:id/annotations", s.createAnnotation)
	api.GET("/workshops/:id/annotations/:aid", s.getAnnotation)
	api.PATCH("/workshops/:id/annotations/:aid", s.updateAnnotation)
	api.DELETE("/workshops/:id/annotations/:aid", s.deleteAnnotation)
	api.PUT("/workshops/:id/annotations/:aid/vote", s.vote)
	api.DELETE("/workshops/:id/annotations/:aid/vote", s.vote)
	api.GET("/workshops/:id/export.geojson", s.workshopGeoJSON)
	api.GET("/workshops/:id/export.csv", s.workshopCSV)
	api.GET("/workshop-annotations.geojson", s.workshopAnnotationsGeoJSON)
	api.RouteNotFound("/*", func(c *echo.Context) error {
		return c.JSON(http.StatusNotFound, errorBody{Error: "no such API endpoint"})
	})

	if s.Features != nil {
		ogc.New(s.Features, s.advertisedURL, s.logger).Register(e.Group(ogc.Base))
	}

	e.GET("/tiles/actors.json", s.actorTileJSON)
	e.GET("/tiles/actors/:z/:x/:y", s.actorTile) // :y is "{y}.mvt"
	e.GET("/tiles/territories.json", s.territoryTileJSON)
	e.GET("/tiles/territories/:z/:x/:y", s.territoryTile)

	e.GET("/", s.index)
	e.GET("/gestion", s.keeperPage)
	e.GET("/connexion", s.signInPage)
	e.GET("/moderation", s.moderationPage)
	e.GET("/acteurs/:id", s.actorPage)
	e.GET("/ateliers", s.workshopsPage)
	e.GET("/ateliers/:code", s.workshopPage("participant"))
	e.GET("/ateliers/:code/projection", s.workshopPage("projection"))
	e.GET("/ateliers/:code/synthese", s.workshopPage("record"))
	e.GET("/couverture", s.coveragePage)
	e.GET("/assets/*", s.assets)
}
