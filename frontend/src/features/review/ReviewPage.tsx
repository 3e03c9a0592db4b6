import { Alert, Box, Button, Card, CardActionArea, CardContent, CircularProgress, Grid, Typography } from "@mui/material";
import { useState } from "react";
import { Link as RouterLink, useLocation, useNavigate } from "react-router-dom";
import { formError } from "../../lib/api";
import { STATUSES } from "../../lib/types";
import { nextToReview, useStatusCounts } from "./api";

/** Status counts, each a link to the list of that status, and the way into the next invoice to review. */
export function ReviewPage() {
  const counts = useStatusCounts();
  const navigate = useNavigate();
  const location = useLocation();
  const notice = (location.state as { notice?: string } | null)?.notice;
  const [message, setMessage] = useState<string | null>(null);

  async function start() {
    setMessage(null);
    try {
      const next = await nextToReview();
      if (next) navigate(`/invoices/${next}`, { state: { back: "/review" } });
      else setMessage("No invoices to review.");
    } catch (error) {
      setMessage(formError(error) ?? "Could not find an invoice to review.");
    }
  }

  return (
    <>
      <Typography variant="h4" component="h1" gutterBottom>
        Review
      </Typography>
      <Box role="status" aria-live="polite">
        {(message ?? notice) && (
          <Alert severity="info" sx={{ mb: 2 }}>
            {message ?? notice}
          </Alert>
        )}
      </Box>
      <Grid container spacing={2} component="ul" aria-label="Invoices by status" sx={{ listStyle: "none", p: 0 }}>
        {STATUSES.map((status, index) => {
          const count = counts[index];
          return (
            <Grid item xs={6} sm={4} md={2} key={status} component="li">
              <Card>
                <CardActionArea component={RouterLink} to={`/invoices?status=${status}`}>
                  <CardContent>
                    <Typography variant="overline">{status}</Typography>
                    <Typography variant="h4" component="p">
                      {count.isLoading ? <CircularProgress size={24} aria-label={`Counting ${status}`} /> : count.error ? "?" : count.data}
                    </Typography>
                  </CardContent>
                </CardActionArea>
              </Card>
            </Grid>
          );
        })}
      </Grid>
      {counts.some((c) => c.error) && <Alert severity="error">Could not count: {formError(counts.find((c) => c.error)?.error)}</Alert>}
      <Button variant="contained" sx={{ mt: 3 }} onClick={() => void start()}>
        Review the next invoice
      </Button>
    </>
  );
}
