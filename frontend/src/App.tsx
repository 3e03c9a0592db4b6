import { Box, CircularProgress } from "@mui/material";
import { Navigate, Route, Routes, useLocation } from "react-router-dom";
import { Layout } from "./components/Layout";
import { SignIn } from "./features/auth/SignIn";
import { BatchesPage } from "./features/batches/BatchesPage";
import { BatchMonitor } from "./features/batches/BatchMonitor";
import { ExportsPage } from "./features/exports/ExportsPage";
import { ImportPage } from "./features/batches/ImportPage";
import { InvoicesPage } from "./features/invoices/InvoicesPage";
import { PromptDetail } from "./features/prompts/PromptDetail";
import { PromptsPage } from "./features/prompts/PromptsPage";
import { UsersPage } from "./features/users/UsersPage";
import { VendorsPage } from "./features/vendors/VendorsPage";
import { ReviewPage } from "./features/review/ReviewPage";
import { ReviewView } from "./features/review/ReviewView";
import { useSession } from "./lib/auth";

export function App() {
  const { user, checking } = useSession();
  const location = useLocation();
  if (checking) {
    return (
      <Box sx={{ display: "grid", placeItems: "center", minHeight: "100vh" }}>
        <CircularProgress aria-label="Checking your session" />
      </Box>
    );
  }
  if (!user) {
    return (
      <Routes>
        <Route path="/signin" element={<SignIn />} />
        <Route path="*" element={<Navigate to="/signin" replace state={{ from: location }} />} />
      </Routes>
    );
  }
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route path="/invoices" element={<InvoicesPage />} />
        {user.role === "admin" && <Route path="/users" element={<UsersPage />} />}
        <Route path="/vendors" element={<VendorsPage />} />
        <Route path="/invoices/:id" element={<ReviewView />} />
        <Route path="/review" element={<ReviewPage />} />
        <Route path="/prompts" element={<PromptsPage />} />
        <Route path="/prompts/:id" element={<PromptDetail />} />
        <Route path="/import" element={<ImportPage />} />
        <Route path="/batches" element={<BatchesPage />} />
        <Route path="/batches/:id" element={<BatchMonitor />} />
        <Route path="/exports" element={<ExportsPage />} />
        <Route path="/signin" element={<Navigate to={fromPath(location.state)} replace />} />
        <Route path="*" element={<Navigate to="/invoices" replace />} />
      </Route>
    </Routes>
  );
}

function fromPath(state: unknown): string {
  const from = (state as { from?: { pathname?: string; search?: string } } | null)?.from;
  return from?.pathname && from.pathname !== "/signin" ? `${from.pathname}${from.search ?? ""}` : "/invoices";
}
