import { FormControl, FormHelperText, InputLabel, MenuItem, Select, type SxProps, type Theme } from "@mui/material";
import type { ReactNode } from "react";

export interface ChoiceSelectProps {
  /** The select's accessible name. */
  label: string;
  /** The id of its label. */
  labelId: string;
  value: string;
  onChange: (value: string) => void;
  choices: { value: string; label: ReactNode }[];
  /** The first choice, of none (value ""). */
  emptyLabel: string;
  helperText?: ReactNode;
  error?: boolean;
  sx?: SxProps<Theme>;
}

/** A labelled select: a first choice of none, then the choices. */
export function ChoiceSelect({ label, labelId, value, onChange, choices, emptyLabel, helperText, error, sx }: ChoiceSelectProps) {
  return (
    <FormControl sx={sx} error={error}>
      <InputLabel id={labelId}>{label}</InputLabel>
      <Select labelId={labelId} label={label} value={value} onChange={(e) => onChange(e.target.value)}>
        <MenuItem value="">{emptyLabel}</MenuItem>
        {choices.map((c) => (
          <MenuItem key={c.value} value={c.value}>
            {c.label}
          </MenuItem>
        ))}
      </Select>
      {helperText !== undefined && <FormHelperText>{helperText}</FormHelperText>}
    </FormControl>
  );
}
