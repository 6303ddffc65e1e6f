-- The residents' map, round two.
--
-- * One actor, one marker: the actor tiles carry each actor once, in the
--   layer of its primary sector (the first by sector position), with all
--   its sectors as the property "sectors" (slugs joined by commas).

ALTER TYPE tile_actor ADD ATTRIBUTE sectors text;

-- * Sector colours and pictograms. Any two seeded colours differ by at
--   least ΔE76 20 (CIE 1976, L*a*b* D65), with normal vision and under
--   simulated protanopia and deuteranopia (Machado et al. 2009, severity
--   1); geo.DeltaE76 computes it and TestSeededSectorColours checks it.
--   The icon becomes the sector's pictogram: SVG path data in a 24 x 24
--   box (filled, even-odd), drawn for this project; emoji showed as empty
--   boxes where no colour-emoji font is installed.
UPDATE sectors AS s SET color = v.color, icon = v.icon
FROM (VALUES
	('insertion', '#8855ff',
		'M9 3h6a2 2 0 0 1 2 2v2h3a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V9a2 2 0 0 1 2-2h3V5a2 2 0 0 1 2-2zm0 2v2h6V5zM2 12h20v2H2z'),
	('commerce-equitable', '#662266',
		'M11 2h2v3h7v2h-1.3l2.8 6.5h.5a3.5 3.5 0 0 1-7 0h.5L18.3 7H13v12h4v2H7v-2h4V7H5.7l2.8 6.5H9a3.5 3.5 0 0 1-7 0h.5L5.3 7H4V5h7zM4 13.5h4l-2-4.6zm12 0h4l-2-4.6z'),
	('education-populaire', '#6699ff',
		'M2 5c3.3-1.2 6.5-.9 9 1.2V20c-2.6-1.9-5.7-2.3-9-1.2zM22 5c-3.3-1.2-6.5-.9-9 1.2V20c2.6-1.9 5.7-2.3 9-1.2z'),
	('reemploi', '#22dd77',
		'M12 3a9 9 0 0 1 8.3 5.5L22 7.6V13h-5.3l2-1.9A6.5 6.5 0 0 0 5.7 10L3.3 9.2A9 9 0 0 1 12 3zM2 11h5.3l-2 1.9a6.5 6.5 0 0 0 13 1.1l2.4.8A9 9 0 0 1 3.7 15.5L2 16.4z'),
	('alimentation', '#77cc33',
		'M12 7.5c2.2-1.8 5.3-1.8 7 .2 2 2.4 1.3 7.6-1.4 10.8-1.7 2-3.4 2.5-5.6 1.5-2.2 1-3.9.5-5.6-1.5C3.7 15.3 3 10.1 5 7.7c1.7-2 4.8-2 7-.2zM11 7c0-2.3 1.1-4.1 3.5-5l.8 1.4C13.5 4.3 12.8 5.5 12.8 7z'),
	('finance-solidaire', '#449999',
		'M12 2c4.4 0 8 1.3 8 3v2.5c0 1.7-3.6 3-8 3s-8-1.3-8-3V5c0-1.7 3.6-3 8-3zM4 10.2c1.6 1.1 4.6 1.8 8 1.8s6.4-.7 8-1.8v3.3c0 1.7-3.6 3-8 3s-8-1.3-8-3zm0 6c1.6 1.1 4.6 1.8 8 1.8s6.4-.7 8-1.8V19c0 1.7-3.6 3-8 3s-8-1.3-8-3z'),
	('culture', '#bbbbff',
		'M9 3h11v13.5a3.2 3.2 0 1 1-2-3V7.5h-7v11a3.2 3.2 0 1 1-2-3z'),
	('habitat', '#664444',
		'M12 2.5l10 9h-3V21h-5v-6h-4v6H5v-9.5H2z'),
	('mobilite', '#2288bb',
		'M5.5 11a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9zm0 2a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5zm13-2a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9zm0 2a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5zM13 4h3.5v2h-2.1l1.6 4.6-1.9.7-.6-1.7-3.6 6.4H5v-2h4.3l2.2-3.9-1-2.1H8V6h3.7l.9 2 1.4-1.2z'),
	('services-personnes', '#5500ff',
		'M12 21.3l-1.5-1.4C5 15 2 12.2 2 8.6 2 5.7 4.3 3.5 7.1 3.5c1.8 0 3.6.9 4.9 2.3 1.3-1.4 3.1-2.3 4.9-2.3 2.8 0 5.1 2.2 5.1 5.1 0 3.6-3 6.4-8.5 11.3z'),
	('tiers-lieux', '#00cc99',
		'M12 3.5a2.8 2.8 0 1 1 0 5.6 2.8 2.8 0 0 1 0-5.6zM5 6.5a2.3 2.3 0 1 1 0 4.6 2.3 2.3 0 0 1 0-4.6zm14 0a2.3 2.3 0 1 1 0 4.6 2.3 2.3 0 0 1 0-4.6zM7.5 20.5v-5.5a4.5 4.5 0 0 1 9 0v5.5zM1 20.5V16a3.3 3.3 0 0 1 5.3-2.6 6 6 0 0 0-.3 1.6v5.5zm22 0V16a3.3 3.3 0 0 0-5.3-2.6 6 6 0 0 1 .3 1.6v5.5z'),
	('solidarites', '#4400aa',
		'M7 11.5V5.2a1.6 1.6 0 0 1 3.2 0V10h.8V3.6a1.6 1.6 0 0 1 3.2 0V10h.8V5.2a1.6 1.6 0 0 1 3.2 0V14c0 4.4-2.8 8-7.2 8-3 0-4.8-1.5-6.2-4L2.5 13.6a1.5 1.5 0 0 1 2.4-1.7z'),
	('energie-environnement', '#668811',
		'M21 2.5c.3 10-4.6 16.5-12 16.5-1.3 0-2.5-.2-3.5-.7L3.3 21l-1.3-1.3 2.3-2.4C3.5 16 3 14.6 3 13c0-6.6 6.4-10.5 18-10.5zM6.4 15.8c2.4-3.5 5.6-6 9.6-7.8-4.6.9-8 3.3-10.9 6.9z'),
	('accompagnement-ess', '#778855',
		'M11 2h2v2.5h6.5l3 3.2-3 3.3H13v2h5.5l-3 3.3H13V22h-2v-5.7H4.5L1.5 13l3-3.2H11v-2H4.5zM11 7.5v2.3h2V7.5z'),
	('autres', '#664411',
		'M12 2a7.5 7.5 0 0 1 7.5 7.5c0 5.3-7.5 13-7.5 13S4.5 14.8 4.5 9.5A7.5 7.5 0 0 1 12 2zm0 4.7a2.8 2.8 0 1 0 0 5.6 2.8 2.8 0 0 0 0-5.6z')
) AS v(slug, color, icon)
WHERE s.slug = v.slug;

-- * Synonyms the sector proposals look for in names and descriptions.
UPDATE sectors SET synonyms = synonyms || ARRAY['emmaus', 'ressourceries', 'recycleries', 'boutique solidaire', 'friperie', 'reparation']
WHERE slug = 'reemploi';
UPDATE sectors SET synonyms = synonyms || ARRAY['amaps', 'epiceries solidaires', 'jardin solidaire', 'jardins solidaires', 'maraichage']
WHERE slug = 'alimentation';
