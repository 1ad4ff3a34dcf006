"""How figures are shown, on screen and on paper alike: number formats, column labels and the palette.
No Streamlit here; dashboard.ui and dashboard.documents both use it."""
