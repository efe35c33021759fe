// Tank gauges as a pumper reads the tape: feet, inches and quarter inches. On the wire a level
// is sent in inches (unit IN, API.md section 13), e.g. 12 ft 4 3/4 in = 148.75 IN.

export const QUARTERS = ["0", "1/4", "1/2", "3/4"];

export function toInches(feet, inches, quarters) {
  return Number(feet || 0) * 12 + Number(inches || 0) + Number(quarters || 0) / 4;
}

// 148.75 -> {feet: 12, inches: 4, quarters: 3}; a level between quarters rounds to the nearest.
export function fromInches(level) {
  const totalQuarters = Math.round(Number(level) * 4);
  const feet = Math.floor(totalQuarters / 48);
  const rest = totalQuarters - feet * 48;
  return { feet, inches: Math.floor(rest / 4), quarters: rest % 4 };
}

export function levelText(level, unit = "IN") {
  if (unit !== "IN") return `${level} ${unit.toLowerCase()}`;
  const { feet, inches, quarters } = fromInches(level);
  return `${feet} ft ${inches}${quarters ? ` ${QUARTERS[quarters]}` : ""} in`;
}

// Barrels at a level by linear interpolation in the strapping table (null outside it).
export function barrelsAt(strapping, levelInches) {
  if (!Array.isArray(strapping) || strapping.length < 2) return null;
  const rows = strapping;
  if (levelInches < rows[0].heightInches || levelInches > rows[rows.length - 1].heightInches) return null;
  for (let i = 1; i < rows.length; i += 1) {
    const low = rows[i - 1];
    const high = rows[i];
    if (levelInches <= high.heightInches) {
      const span = high.heightInches - low.heightInches;
      const share = span ? (levelInches - low.heightInches) / span : 0;
      return low.barrels + share * (high.barrels - low.barrels);
    }
  }
  return null;
}
