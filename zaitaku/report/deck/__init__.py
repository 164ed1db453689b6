"""The prefectural deck as an editable PowerPoint: native charts, editable text, notes with figures.

``zaitaku deck --prefecture 島根県 [--municipality CODE] --out DIR`` (:mod:`.cli`) writes one 16:9
``.pptx`` built by :func:`.build.build_deck` from the deck blocks of
:func:`zaitaku.report.blocks.deck_blocks` and the Sections of :func:`zaitaku.report.section.build_section`.
"""
