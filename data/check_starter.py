"""Quick self-check for hand-written starter data files (used while writing them)."""
import json, re, sys, collections
LIMITS = {"instagram": (2200, 1, 5), "x": (280, 1, 2), "facebook": (63206, 0, 3), "linkedin": (3000, 3, 5)}
INDUSTRIES = {"technology","retail","food_beverage","health_wellness","finance","travel_hospitality","real_estate","education","fashion_beauty","b2b_saas","automotive","nonprofit"}
TONES = {"professional","casual","persuasive","inspirational","fomo","witty","empathetic","luxury"}
bad = 0
for path in sys.argv[1:]:
    cells = collections.Counter(); inds = collections.Counter()
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except Exception as e:
            print(f"{path}:{n}: bad JSON: {e}"); bad += 1; continue
        for k in ("prompt", "platform", "tone", "industry", "text"):
            if not isinstance(r.get(k), str) or not r[k].strip():
                print(f"{path}:{n}: missing {k}"); bad += 1
        p = r.get("platform"); t = r.get("text", "")
        if p not in LIMITS or r.get("tone") not in TONES or r.get("industry") not in INDUSTRIES:
            print(f"{path}:{n}: bad platform/tone/industry {p} {r.get('tone')} {r.get('industry')}"); bad += 1; continue
        lim, lo, hi = LIMITS[p]
        tags = re.findall(r"(?<!\w)#\w+", t)
        if len(t) > lim:
            print(f"{path}:{n}: {len(t)} chars > {lim}"); bad += 1
        if not lo <= len(tags) <= hi:
            print(f"{path}:{n}: {len(tags)} hashtags, {p} wants {lo}..{hi}"); bad += 1
        cells[p] += 1; inds[r["industry"]] += 1
    print(path, dict(cells), "industries:", len(inds))
print("problems:", bad)
