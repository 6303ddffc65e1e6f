package postgis

// FindTerritoriesSQL is the query of FindTerritories, whose plan a test
// reads.
const FindTerritoriesSQL = findTerritoriesSQL
