import { Box, Button, FormHelperText, List, ListItem, ListItemText, Paper, Stack, Typography } from "@mui/material";
import { useState, type DragEvent } from "react";
import type { CatalogueField, TemplateField } from "./api";

const MIME = "application/x-export-field";

interface Dragged {
  from: "chosen" | "available";
  key: string;
}

/** Move ``key`` in ``list`` to ``index`` (an index of the list without it), or insert it there. */
export function placed(list: TemplateField[], key: string, index: number): TemplateField[] {
  const without = list.filter((f) => f.key !== key);
  const item = list.find((f) => f.key === key) ?? { key };
  const at = Math.max(0, Math.min(index, without.length));
  return [...without.slice(0, at), item, ...without.slice(at)];
}

/**
 * The columns of one sheet: the chosen fields in order and the catalogue's others. Fields are
 * added, removed and reordered by drag and drop (from the available list into the chosen one, within
 * it, or back out) and by keyboard: every row has named buttons (Add, Move up, Move down, Remove).
 */
export function FieldPicker({
  title,
  catalogue,
  chosen,
  onChange,
  error,
}: {
  title: string;
  catalogue: CatalogueField[];
  chosen: TemplateField[];
  onChange: (fields: TemplateField[]) => void;
  error?: string;
}) {
  const [announcement, setAnnouncement] = useState("");
  const [over, setOver] = useState<number | null>(null);
  const labels = new Map(catalogue.map((f) => [f.key, f.label]));
  const label = (key: string) => labels.get(key) ?? key;
  const chosenKeys = new Set(chosen.map((f) => f.key));
  const available = catalogue.filter((f) => !chosenKeys.has(f.key));
  const idBase = title.toLowerCase().replace(/\W+/g, "-");

  function change(fields: TemplateField[], message: string) {
    onChange(fields);
    setAnnouncement(message);
  }
  function move(key: string, index: number) {
    change(placed(chosen, key, index), `${label(key)} moved to position ${index + 1} of ${chosen.length}`);
  }
  function add(key: string, index = chosen.length) {
    change(placed(chosen, key, index), `${label(key)} added at position ${Math.min(index, chosen.length) + 1}`);
  }
  function remove(key: string) {
    change(
      chosen.filter((f) => f.key !== key),
      `${label(key)} removed`,
    );
  }
  function start(event: DragEvent, dragged: Dragged) {
    event.dataTransfer.setData(MIME, JSON.stringify(dragged));
    event.dataTransfer.effectAllowed = "move";
  }
  function read(event: DragEvent): Dragged | null {
    try {
      return JSON.parse(event.dataTransfer.getData(MIME)) as Dragged;
    } catch {
      return null;
    }
  }
  function dropAt(event: DragEvent, index: number) {
    event.preventDefault();
    event.stopPropagation();
    setOver(null);
    const dragged = read(event);
    if (!dragged) return;
    if (dragged.from === "available") add(dragged.key, index);
    else {
      const from = chosen.findIndex((f) => f.key === dragged.key);
      move(dragged.key, from >= 0 && from < index ? index - 1 : index);
    }
  }
  function allow(event: DragEvent) {
    if (event.dataTransfer.types.includes(MIME)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
    }
  }

  return (
    <Box component="fieldset" sx={{ border: 0, p: 0, m: 0, minWidth: 0 }}>
      <Typography component="legend" variant="subtitle1" sx={{ mb: 1 }}>
        {title}
      </Typography>
      <Stack direction={{ xs: "column", md: "row" }} spacing={2}>
        <Paper variant="outlined" sx={{ flex: 1, p: 1, borderColor: error ? "error.main" : undefined }}>
          <Typography id={`${idBase}-chosen`} variant="body2" fontWeight="bold">
            Chosen columns, in order ({chosen.length})
          </Typography>
          <List
            dense
            aria-labelledby={`${idBase}-chosen`}
            aria-describedby={error ? `${idBase}-error` : undefined}
            onDragOver={allow}
            onDrop={(e) => dropAt(e, chosen.length)}
            sx={{ minHeight: 48 }}
          >
            {chosen.map((field, index) => (
              <ListItem
                key={field.key}
                draggable
                onDragStart={(e) => start(e, { from: "chosen", key: field.key })}
                onDragOver={(e) => {
                  allow(e);
                  setOver(index);
                }}
                onDragLeave={() => setOver(null)}
                onDrop={(e) => dropAt(e, index)}
                sx={{ cursor: "grab", borderTop: over === index ? 2 : 0, borderColor: "primary.main", gap: 0.5 }}
                aria-label={`${index + 1}. ${label(field.key)}`}
              >
                <ListItemText primary={`${index + 1}. ${label(field.key)}`} secondary={field.key} />
                <Button size="small" aria-label={`Move ${label(field.key)} up`} disabled={index === 0} onClick={() => move(field.key, index - 1)}>
                  Up
                </Button>
                <Button
                  size="small"
                  aria-label={`Move ${label(field.key)} down`}
                  disabled={index === chosen.length - 1}
                  onClick={() => move(field.key, index + 1)}
                >
                  Down
                </Button>
                <Button size="small" color="error" aria-label={`Remove ${label(field.key)}`} onClick={() => remove(field.key)}>
                  Remove
                </Button>
              </ListItem>
            ))}
            {chosen.length === 0 && (
              <ListItem>
                <ListItemText secondary="No column yet: drag one here or use Add." />
              </ListItem>
            )}
          </List>
          {error && (
            <FormHelperText id={`${idBase}-error`} error>
              {error}
            </FormHelperText>
          )}
        </Paper>
        <Paper
          variant="outlined"
          sx={{ flex: 1, p: 1, maxHeight: 360, overflow: "auto" }}
          onDragOver={allow}
          onDrop={(e) => {
            e.preventDefault();
            const dragged = read(e);
            if (dragged?.from === "chosen") remove(dragged.key);
          }}
        >
          <Typography id={`${idBase}-available`} variant="body2" fontWeight="bold">
            Available fields ({available.length})
          </Typography>
          <List dense aria-labelledby={`${idBase}-available`}>
            {available.map((field) => (
              <ListItem key={field.key} draggable onDragStart={(e) => start(e, { from: "available", key: field.key })} sx={{ cursor: "grab" }} aria-label={field.label}>
                <ListItemText primary={field.label} secondary={field.key} />
                <Button size="small" aria-label={`Add ${field.label}`} onClick={() => add(field.key)}>
                  Add
                </Button>
              </ListItem>
            ))}
          </List>
        </Paper>
      </Stack>
      <Box role="status" aria-live="polite" sx={{ position: "absolute", width: 1, height: 1, overflow: "hidden", clip: "rect(0 0 0 0)" }}>
        {announcement}
      </Box>
    </Box>
  );
}
