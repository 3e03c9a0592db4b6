import { FormControl, FormHelperText, InputLabel, MenuItem, Select, type SxProps, type Theme } from "@mui/material";
import type { ReactNode } from "react";

export interface VendorOption {
  id: string;
  name: string;
  display_name: string | null;
}

export interface VendorSelectProps {
  /** The id of its label (the select's accessible name is "Vendor"). */
  labelId: string;
  /** The vendors' query: the value shows once they are loaded. */
  vendors: { data?: VendorOption[] };
  value: string;
  onChange: (vendorId: string) => void;
  /** The choice of no vendor. */
  emptyLabel?: string;
  helperText?: ReactNode;
  error?: boolean;
  sx?: SxProps<Theme>;
}

/** A vendor picker: "Vendor", a first choice of none, then each vendor by its display name. */
export function VendorSelect({ labelId, vendors, value, onChange, emptyLabel = "Any vendor", helperText, error, sx }: VendorSelectProps) {
  return (
    <FormControl sx={sx} error={error}>
      <InputLabel id={labelId}>Vendor</InputLabel>
      <Select labelId={labelId} label="Vendor" value={vendors.data ? value : ""} onChange={(e) => onChange(e.target.value)}>
        <MenuItem value="">{emptyLabel}</MenuItem>
        {(vendors.data ?? []).map((v) => (
          <MenuItem key={v.id} value={v.id}>
            {v.display_name || v.name}
          </MenuItem>
        ))}
      </Select>
      {helperText !== undefined && <FormHelperText>{helperText}</FormHelperText>}
    </FormControl>
  );
}
