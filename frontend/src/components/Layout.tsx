import { AppBar, Box, Button, Container, Toolbar, Typography } from "@mui/material";
import { NavLink, Outlet } from "react-router-dom";
import { useSession } from "../lib/auth";
import type { Role } from "../lib/types";

// adminOnly: the entry is shown to admins only (the API refuses the others anyway)
const SCREENS: { to: string; label: string; adminOnly?: boolean }[] = [
  { to: "/import", label: "Import" },
  { to: "/review", label: "Review" },
  { to: "/invoices", label: "Invoices" },
  { to: "/batches", label: "Batches" },
  { to: "/vendors", label: "Vendors" },
  { to: "/prompts", label: "Prompts" },
  { to: "/exports", label: "Exports" },
  { to: "/users", label: "Users", adminOnly: true },
];

function visible(role: Role | undefined) {
  return SCREENS.filter((screen) => !screen.adminOnly || role === "admin");
}

export function Layout() {
  const { user, signOut } = useSession();
  return (
    <>
      <AppBar position="static" component="header">
        <Toolbar sx={{ gap: 2 }}>
          <Typography variant="h6" component="p" sx={{ mr: 2 }}>
            Invoice Processing
          </Typography>
          <Box component="nav" aria-label="Screens" sx={{ display: "flex", gap: 1, flexGrow: 1 }}>
            {visible(user?.role).map((screen) => (
              <Button key={screen.to} component={NavLink} to={screen.to} color="inherit">
                {screen.label}
              </Button>
            ))}
          </Box>
          <Typography variant="body2" aria-label="Signed in as">
            {user?.email}
          </Typography>
          <Button color="inherit" variant="outlined" onClick={() => void signOut()}>
            Sign out
          </Button>
        </Toolbar>
      </AppBar>
      <Container component="main" maxWidth="xl" sx={{ py: 3 }}>
        <Outlet />
      </Container>
    </>
  );
}
