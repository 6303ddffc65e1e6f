package ogc

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
)

type obj = map[string]any

// openAPIDocument is the OpenAPI 3.0 definition of the service on server
// (the advertised URL of Base). Each collection has its own paths, so
// that its queryables are listed as the parameters of its items.
func (a *API) openAPIDocument(server string) obj {
	ref := func(kind, name string) obj { return obj{"$ref": "#/components/" + kind + "/" + name} }
	errResp := func(what string) obj {
		return obj{"description": what, "content": obj{mediaJSON: obj{"schema": ref("schemas", "exception")}}}
	}
	jsonResp := func(what, media, schema string) obj {
		return obj{
			"200": obj{"description": what, "content": obj{media: obj{"schema": ref("schemas", schema)}, mediaHTML: obj{"schema": obj{"type": "string"}}}},
			"400": errResp("A parameter has a wrong value, or is unknown"),
		}
	}
	get := func(id, summary string, params []any, responses obj) obj {
		op := obj{"operationId": id, "summary": summary, "responses": responses}
		if params == nil {
			params = []any{}
		}
		op["parameters"] = append(params, ref("parameters", "f"))
		return obj{"get": op}
	}
	collections := a.store.FeatureCollections()
	ids := make([]string, len(collections))
	for i, info := range collections {
		ids[i] = info.ID
	}
	paths := obj{
		"/":            get("getLandingPage", "Landing page", nil, jsonResp("Links to the API, the conformance classes and the collections", mediaJSON, "object")),
		"/conformance": get("getConformance", "Conformance classes", nil, jsonResp("The conformance classes implemented", mediaJSON, "object")),
		"/api": get("getAPI", "This document", nil, obj{
			"200": obj{"description": "The OpenAPI 3.0 definition", "content": obj{mediaOpenAPI: obj{"schema": ref("schemas", "object")}}}}),
		"/collections": get("getCollections", "Feature collections", nil, jsonResp("The collections", mediaJSON, "object")),
		"/collections/{collectionId}": get("describeCollection", "One collection",
			[]any{obj{"name": "collectionId", "in": "path", "required": true, "schema": obj{"type": "string", "enum": ids}}},
			withNotFound(jsonResp("The collection", mediaJSON, "object"), errResp)),
	}
	for _, info := range collections {
		base := "/collections/" + info.ID
		params := []any{ref("parameters", "bbox"), ref("parameters", "bbox-crs"), ref("parameters", "crs"),
			ref("parameters", "limit"), ref("parameters", "properties"), ref("parameters", "after"), ref("parameters", "before")}
		for _, p := range info.Properties {
			if p.Queryable {
				params = append(params, obj{"name": p.Name, "in": "query", "required": false, "style": "form", "explode": false,
					"description": texts.PropertyTitle[p.Name] + " (equal to)", "schema": scalarSchema(p)})
			}
		}
		paths[base+"/items"] = get("getFeatures_"+info.ID, texts.CollectionTitle[info.ID], params,
			withNotFound(jsonResp("A page of features; next and prev links page through the rest", mediaGeoJSON, "featureCollection"), errResp))
		itemParams := []any{obj{"name": "featureId", "in": "path", "required": true, "schema": obj{"type": "string"}},
			ref("parameters", "crs"), ref("parameters", "properties")}
		if info.ID == geo.CollectionCoverage {
			itemParams = append(itemParams, obj{"name": "sector", "in": "query", "required": false,
				"description": texts.PropertyTitle["sector"], "schema": obj{"type": "string"}})
		}
		paths[base+"/items/{featureId}"] = get("getFeature_"+info.ID, texts.CollectionTitle[info.ID]+" : "+texts.Item, itemParams,
			withNotFound(jsonResp("One feature", mediaGeoJSON, "feature"), errResp))
		paths[base+"/queryables"] = get("getQueryables_"+info.ID, texts.Queryables, nil, obj{
			"200": obj{"description": "The queryables as JSON Schema", "content": obj{mediaSchema: obj{"schema": ref("schemas", "object")}}}})
	}
	qp := func(name, desc string, schema obj) obj {
		return obj{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
	}
	return obj{
		"openapi": "3.0.3",
		"info": obj{"title": texts.Title, "description": texts.Description, "version": "1.0.0",
			"license": obj{"name": "Data: see the attribution of each source"}},
		"servers": []any{obj{"url": server}},
		"paths":   paths,
		"components": obj{
			"parameters": obj{
				"f": qp("f", "Format of the answer (default: JSON, or HTML for a browser)",
					obj{"type": "string", "enum": []string{"json", "html"}}),
				"bbox": obj{"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "minLon,minLat,maxLon,maxLat in CRS84",
					"schema":      obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}}},
				"bbox-crs":   qp("bbox-crs", "Only CRS84", obj{"type": "string", "enum": []string{CRS84}}),
				"crs":        qp("crs", "Only CRS84", obj{"type": "string", "enum": []string{CRS84}}),
				"limit":      qp("limit", "Features per page", obj{"type": "integer", "minimum": 1, "maximum": MaxLimit, "default": DefaultLimit}),
				"properties": qp("properties", "Comma-separated properties to keep", obj{"type": "string"}),
				"after":      qp("after", "Start after the feature with this id (keyset paging; given by next links)", obj{"type": "string"}),
				"before":     qp("before", "End before the feature with this id (given by prev links)", obj{"type": "string"}),
			},
			"schemas": obj{
				"object": obj{"type": "object"},
				"exception": obj{"type": "object", "required": []string{"code"}, "properties": obj{
					"code": obj{"type": "string"}, "description": obj{"type": "string"}}},
				"featureCollection": obj{"type": "object", "required": []string{"type", "features"}, "properties": obj{
					"type":           obj{"type": "string", "enum": []string{"FeatureCollection"}},
					"features":       obj{"type": "array", "items": ref("schemas", "feature")},
					"numberMatched":  obj{"type": "integer", "minimum": 0},
					"numberReturned": obj{"type": "integer", "minimum": 0},
					"timeStamp":      obj{"type": "string", "format": "date-time"},
					"links":          obj{"type": "array", "items": ref("schemas", "link")}}},
				"feature": obj{"type": "object", "required": []string{"type", "geometry", "properties"}, "properties": obj{
					"type":       obj{"type": "string", "enum": []string{"Feature"}},
					"id":         obj{"oneOf": []any{obj{"type": "string"}, obj{"type": "integer"}}},
					"geometry":   obj{"type": "object", "nullable": true},
					"properties": obj{"type": "object", "nullable": true}}},
				"link": obj{"type": "object", "required": []string{"href", "rel"}, "properties": obj{
					"href": obj{"type": "string"}, "rel": obj{"type": "string"},
					"type": obj{"type": "string"}, "title": obj{"type": "string"}}},
			},
		},
	}
}

func withNotFound(responses obj, errResp func(string) obj) obj {
	responses["404"] = errResp("No such collection or feature")
	return responses
}

// scalarSchema is the OpenAPI schema of a queryable's value.
func scalarSchema(p geo.FeatureProperty) obj {
	s := obj{"type": p.Type}
	if p.Type == "array" {
		s["type"] = "string"
	}
	if len(p.Enum) > 0 {
		s["enum"] = p.Enum
	}
	return s
}

func (a *API) openAPI(c *echo.Context) error {
	format, err := formatOnly(c)
	if err != nil {
		return err
	}
	doc := a.openAPIDocument(a.url(c, "", nil))
	if format == "html" {
		paths := doc["paths"].(obj)
		var links []link
		for _, info := range a.store.FeatureCollections() {
			links = append(links, link{Href: a.url(c, "/collections/"+info.ID+"/items", url.Values{"f": {"html"}}),
				Rel: "items", Title: texts.CollectionTitle[info.ID]})
		}
		links = append(links, link{Href: a.url(c, "/api", url.Values{"f": {"json"}}), Rel: "service-desc",
			Title: "OpenAPI 3.0 (JSON), " + strconv.Itoa(len(paths)) + " chemins"})
		return a.page(c, http.StatusOK, "landing", texts.API, struct {
			Description string
			Links       []link
		}{texts.Description, links})
	}
	c.Response().Header().Set(echo.HeaderContentType, mediaOpenAPI)
	return c.JSON(http.StatusOK, doc)
}
