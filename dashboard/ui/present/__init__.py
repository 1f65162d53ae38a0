"""汇报材料 Presentation materials: the deck (PPTX), the self-assessment report (自评报告: DOCX,
PDF) with its official tables (XLSX), and the steps of the presentation mode — all made from
one :class:`~dashboard.ui.present.model.Material` (docs/outputs.md).  No Streamlit.
"""
