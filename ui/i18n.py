"""Every UI string in English and Chinese, in one place. `t(key, **values)` picks the session's language.

Values formatted into a string are inserted as given: callers escape user text (ui.widgets.escape_md)
before passing it to a string that is rendered as Markdown.
"""

from __future__ import annotations

import streamlit as st

LANGUAGES = {"en": "English", "zh": "中文"}

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # navigation and sidebar
    "nav.data": ("Data", "数据"),
    "nav.segments": ("Segments", "分群"),
    "nav.profiles": ("Profiles", "群体画像"),
    "nav.recommend": ("Recommendations", "推荐"),
    "nav.export": ("Export", "导出"),
    "sidebar.language": ("Language", "语言"),
    "sidebar.dataset": ("Dataset", "数据集"),
    "sidebar.no_dataset": ("No data loaded yet.", "尚未加载数据。"),
    "sidebar.sample": ("Sample data", "示例数据"),
    "sidebar.run": ("Analysis run", "分析运行"),
    "sidebar.no_run": ("No analysis yet.", "尚未运行分析。"),
    "sidebar.run_line": ("Run {run} · K = {k} · {method}", "运行 {run} · K = {k} · {method}"),
    "sidebar.model_line": ("Model: {model}", "模型：{model}"),
    # empty states and errors
    "empty.no_dataset": (
        "Load a file or the sample data on the Data page to begin.",
        "请先在“数据”页上传文件或使用示例数据。",
    ),
    "empty.go_data": ("Go to the Data page", "前往“数据”页"),
    "empty.no_analysis": (
        "No analysis yet: run one on the Segments page.",
        "还没有分析结果：请在“分群”页运行分析。",
    ),
    "empty.go_segments": ("Go to Segments", "前往“分群”"),
    "empty.no_analysis_run": (
        "Choose the settings above and press Run analysis.",
        "在上方选择设置并点击“运行分析”。",
    ),
    "error.unexpected": (
        "Something went wrong while processing this request. Your previous data and results are kept; please try again or change the settings.",
        "处理请求时出错。之前的数据和结果已保留，请重试或调整设置。",
    ),
    # metrics and columns
    "metric.rows": ("Rows", "行数"),
    "metric.rows_in": ("Rows read", "读取行数"),
    "metric.rows_kept": ("Rows kept", "保留行数"),
    "metric.rows_rejected": ("Rows rejected", "拒绝行数"),
    "metric.users": ("Users", "用户数"),
    "metric.items": ("Items", "商品数"),
    "metric.format": ("Format", "格式"),
    "metric.segments": ("Segments", "分群数"),
    "metric.method": ("Method", "方法"),
    "metric.silhouette": ("Silhouette", "轮廓系数"),
    "metric.silhouette_help": (
        "Cosine silhouette of the segmentation (−1…1, higher = better separated).",
        "分群的余弦轮廓系数（−1…1，越高越分明）。",
    ),
    "metric.davies_bouldin": ("Davies–Bouldin", "DB 指数"),
    "metric.davies_bouldin_help": (
        "Lower = more compact, better separated segments.",
        "越低表示分群越紧凑、越分明。",
    ),
    "metric.ari_help": (
        "Agreement with the known label column (1 = identical).",
        "与已知标签列的一致程度（1 = 完全一致）。",
    ),
    "metric.run_time": ("Run time", "运行时间"),
    "metric.share": ("Share", "占比"),
    "metric.mean_rating": ("Mean rating", "平均评分"),
    "metric.sentiment": ("Sentiment", "情感"),
    "metric.sentiment_help": (
        "Mean sentiment of the segment's reviews (−1 negative … +1 positive).",
        "该群评论的平均情感（−1 负面 … +1 正面）。",
    ),
    "metric.stability": ("Stability", "稳定性"),
    "metric.stability_help": (
        "How often the segment re-forms when clustering is re-run on resamples (0…1).",
        "在重采样上重复聚类时该群再次出现的程度（0…1）。",
    ),
    "col.user": ("user", "用户"),
    "col.users": ("users", "用户数"),
    "col.segment": ("segment", "分群"),
    "col.share": ("share", "占比"),
    "col.keywords": ("keywords", "关键词"),
    "col.confidence": ("confidence", "置信度"),
    "col.events": ("events", "行为数"),
    "col.why": ("why (top items)", "依据（主要商品）"),
    "col.lift": ("lift", "提升度"),
    "event.view": ("view", "浏览"),
    "event.click": ("click", "点击"),
    "event.favorite": ("favorite", "收藏"),
    "event.cart": ("cart", "加购"),
    "event.purchase": ("purchase", "购买"),
    "event.rating": ("rating", "评分"),
    "event.review": ("review", "评价"),
    "revenue.revenue": ("Revenue", "收入"),
    "revenue.orders": ("Orders", "订单数"),
    "revenue.revenue_per_user": ("Revenue / user", "人均收入"),
    "revenue.avg_order_value": ("Avg order value", "平均订单金额"),
    # data page
    "data.title": ("Data", "数据"),
    "data.intro": (
        "Upload behaviour data (one row per event: user, item or text, optional action, time, rating, price) or start with the sample.",
        "上传行为数据（每行一个事件：用户、商品或文本，可选行为类型、时间、评分、价格），或使用示例数据。",
    ),
    "data.upload_events": ("Events file", "行为数据文件"),
    "data.upload_help": (
        "CSV, TSV, TXT, .data/.dat, Excel .xlsx, Parquet, or a .gz/.zip of one of them.",
        "支持 CSV、TSV、TXT、.data/.dat、Excel .xlsx、Parquet，或其 .gz/.zip 压缩包。",
    ),
    "data.upload_items": ("Items table (optional)", "商品表（可选）"),
    "data.items_help": (
        "Item titles/descriptions joined on item_id (e.g. MovieLens movies.csv).",
        "按 item_id 关联的商品标题/描述（如 MovieLens 的 movies.csv）。",
    ),
    "data.sample_title": ("No file at hand?", "手头没有文件？"),
    "data.sample_caption": (
        "A small generated shop with reviews in English and Chinese.",
        "一个小型生成的店铺数据，含中英文评论。",
    ),
    "data.use_sample": ("Use sample data", "使用示例数据"),
    "data.sample_missing": (
        "The sample file is missing: run `make sample-data`.",
        "缺少示例文件：请运行 `make sample-data`。",
    ),
    "data.kept_previous": (
        "The previously loaded data and results are kept.",
        "已保留之前加载的数据和结果。",
    ),
    "data.options_title": ("Read options and column mapping", "读取选项与列映射"),
    "data.encoding": ("Encoding", "编码"),
    "data.delimiter": ("Delimiter", "分隔符"),
    "data.mapping_caption": (
        "Which column plays which role (detected from the headers; change any of them):",
        "各列对应的角色（根据表头自动识别，可修改）：",
    ),
    "data.unmapped": ("(not used)", "（不使用）"),
    "data.reread": ("Re-read with these settings", "按这些设置重新读取"),
    "data.report_title": ("Ingest report", "导入报告"),
    "data.detected": (
        "Encoding {encoding} · delimiter {delimiter} · mapping: {mapping}",
        "编码 {encoding} · 分隔符 {delimiter} · 映射：{mapping}",
    ),
    "data.attributes": ("Kept as attributes: {names}", "作为属性保留：{names}"),
    "data.reason": ("reason", "原因"),
    "data.count": ("rows", "行数"),
    "data.download_rejected": ("Download rejected rows (CSV)", "下载被拒绝的行（CSV）"),
    "data.all_kept": ("Every row was kept.", "所有行均已保留。"),
    "data.preview_title": ("Preview", "预览"),
    "data.tab_events": ("Events", "行为"),
    "data.tab_items": ("Items", "商品"),
    "data.next": ("Next: find segments", "下一步：发现分群"),
    # h12 output: "Open a saved project" (a bundle) on the Data page
    "data.empty": (
        "Upload an events file above or use the sample data to begin, or open a saved project below.",
        "请在上方上传行为数据文件或使用示例数据开始，也可以在下方打开已保存的项目。",
    ),
    "proj.title": ("Open a saved project", "打开已保存的项目"),
    "proj.intro": (
        "A project bundle (bundle.zip from the Export page or `python -m core analyze`) holds the "
        "segments, their names and keywords, every user's assignment and the settings. Open it to see "
        "them and to assign the users of a new file to the same segments.",
        "项目包（导出页或 `python -m core analyze` 生成的 bundle.zip）包含分群、名称与关键词、每位用户的"
        "分配及设置。打开后可查看这些内容，并把新文件中的用户分配到同样的分群。",
    ),
    "proj.upload": ("Project bundle (.zip)", "项目包（.zip）"),
    "proj.opened": ("Project {run}", "项目 {run}"),
    "proj.model_line": ("Model {model} · saved {created}", "模型 {model} · 保存于 {created}"),
    "proj.members": (
        "{n} users as saved in the project (pseudonyms when they were on):",
        "项目中保存的 {n} 位用户（若导出时开启了假名化则为假名）：",
    ),
    "proj.download_members": ("Download the saved assignments (CSV)", "下载已保存的分配（CSV）"),
    "proj.assign_title": ("Assign new users", "为新用户分配分群"),
    "proj.assign_intro": (
        "Upload the new users' events (same format as for an analysis, plus the items table if the "
        "texts live there). Each user goes to the nearest saved segment, with the project's model, "
        "weights and half-life.",
        "上传新用户的行为数据（格式与分析时相同；若文本在商品表中，请一并上传）。每位用户按项目的模型、"
        "权重与半衰期分配到最接近的已保存分群。",
    ),
    "proj.assign": ("Assign to these segments", "分配到这些分群"),
    "proj.assigning": ("Embedding the new items and assigning users…", "正在嵌入新商品并分配用户…"),
    "proj.assigned": ("{n} users assigned to {k} segments.", "已将 {n} 位用户分配到 {k} 个分群。"),
    "proj.download_assigned": ("Download the new assignments (CSV)", "下载新的分配结果（CSV）"),
    "prof.name_short": ("name", "名称"),
    # data page: mapping editor and plausibility checks (issue 12, input)
    "data.map_failed": (
        "Choose the read options and which column plays which role, then re-read.",
        "请选择读取选项以及各列对应的角色，然后重新读取。",
    ),
    "data.map_events_title": ("Events table", "行为数据表"),
    "data.map_items_title": ("Items table", "商品表"),
    "data.auto": ("detect", "自动检测"),
    "data.space": ("space", "空格"),
    "data.first_row_data": ("First row is data", "首行是数据"),
    "data.first_row_help": (
        "The file has no header row: its columns are then named by position, 1, 2, 3, ...",
        "文件没有表头行：各列按位置命名为 1、2、3……",
    ),
    "data.header_hint": (
        "Every column name is a number: the first row is probably data. If the file has no header row, switch on “First row is data”.",
        "所有列名都是数字：首行很可能是数据。若文件没有表头行，请打开“首行是数据”。",
    ),
    "data.col_name": ("column", "列"),
    "data.col_samples": ("sample values", "示例值"),
    "data.items_mapping_caption": (
        "Items table: the column with the item id (the same ids as in the events) and the text columns.",
        "商品表：商品ID列（与行为数据中的ID相同）和文本列。",
    ),
    "data.role.user_id": ("User (required)", "用户（必填）"),
    "data.role.item_id": ("Item id", "商品ID"),
    "data.role.text": ("Item text (one or more)", "商品文本（可多列）"),
    "data.role.review": ("Review text", "评价文本"),
    "data.role.event_type": ("Action (view, purchase, ...)", "行为类型（浏览、购买……）"),
    "data.role.timestamp": ("Time", "时间"),
    "data.role.rating": ("Rating", "评分"),
    "data.role.quantity": ("Quantity", "数量"),
    "data.role.price": ("Price", "单价"),
    "data.role.label": ("Known segment (label)", "已知分群（标签）"),
    "data.role.invoice": ("Invoice / order", "发票/订单号"),
    "data.pending_title": ("This data looks wrongly mapped", "这份数据的列映射看起来不对"),
    "data.pending_body": (
        "It is not loaded yet: fix the mapping below and re-read, or use it as it is.",
        "数据尚未加载：请在下方修正映射并重新读取，或按现状使用。",
    ),
    "data.accept_warnings": ("Use this data anyway", "仍然使用这份数据"),
    "data.accepted_warning": ("Loaded despite a warning: {text}", "已忽略警告加载：{text}"),
    "error.no_user_column": (
        "No user column was recognised. Choose the column that identifies users under “User” below (columns: {columns}).",
        "未识别出用户列。请在下方“用户”中选择标识用户的列（现有列：{columns}）。",
    ),
    "error.ambiguous_column": (
        "Columns “{first}” and “{second}” both look like {role}: choose one below.",
        "列“{first}”和“{second}”都像是{role}：请在下方选择其一。",
    ),
    "error.no_join_column": (
        "An items table was given, but no events column is the item id to join it on: choose “Item id” below (columns: {columns}).",
        "提供了商品表，但行为数据中没有用于关联的商品ID列：请在下方选择“商品ID”（现有列：{columns}）。",
    ),
    "error.items_columns": (
        "The items table needs an item id and a text column: choose them under “Items table” below (columns: {columns}).",
        "商品表需要商品ID列和文本列：请在下方“商品表”中选择（现有列：{columns}）。",
    ),
    "error.column_not_found": (
        "Column “{column}” (chosen as {role}) is not in this file (columns: {columns}).",
        "文件中没有列“{column}”（被选为{role}）（现有列：{columns}）。",
    ),
    "error.one_column_only": (
        "Only one column can be {role}; got {columns}.",
        "{role}只能对应一列，收到：{columns}。",
    ),
    # segments page
    "seg.title": ("Segments", "分群"),
    "seg.intro": (
        "Users are grouped by what they interact with, read by a language model.",
        "根据用户接触的内容（由语言模型理解）对用户分群。",
    ),
    "seg.model": ("Language model", "语言模型"),
    "seg.model_default": ("all-MiniLM-L6-v2 (bundled)", "all-MiniLM-L6-v2（内置）"),
    "seg.model_tfidf": ("TF-IDF (fast, no model)", "TF-IDF（快速，无需模型）"),
    "seg.model_custom": ("Other model (name below)", "其他模型（在下方填写）"),
    "seg.custom_model": ("Custom model name or path", "自定义模型名称或路径"),
    "seg.custom_help": (
        "A sentence-transformers model available offline on this machine.",
        "本机离线可用的 sentence-transformers 模型。",
    ),
    "seg.method": ("Clustering method", "聚类方法"),
    "seg.k_auto": ("Let the advisor choose K", "由顾问自动选择 K"),
    "seg.k_auto_help": (
        "Tries several K and picks the best balance of separation, stability and size.",
        "尝试多个 K，选择分离度、稳定性与规模的最佳平衡。",
    ),
    "seg.half_life": ("Recency half-life (days, 0 = off)", "时间衰减半衰期（天，0 = 关闭）"),
    "seg.half_life_help": (
        "An event this many days older than the latest counts half as much.",
        "比最新事件早这么多天的事件，权重减半。",
    ),
    "seg.seed": ("Seed", "随机种子"),
    "seg.use_ratings": ("Weight by ratings", "按评分加权"),
    "seg.three_d": ("Also compute a 3-D map", "同时计算 3D 地图"),
    "seg.weights": ("Event weights", "行为权重"),
    "seg.run": ("Run analysis", "运行分析"),
    "seg.running": ("Running the analysis…", "正在运行分析…"),
    "seg.starting": ("Starting", "开始"),
    "seg.failed": ("The analysis failed", "分析失败"),
    "seg.done": ("Done in {seconds} s", "完成，用时 {seconds} 秒"),
    "seg.kept_previous": ("The previous results are still shown below.", "下方仍显示之前的结果。"),
    "seg.warm_note": (
        "Embeddings for these settings are ready: changing K, method or seed takes seconds.",
        "当前设置的向量已就绪：更改 K、方法或种子只需几秒。",
    ),
    "seg.estimate": (
        "First run: {texts} item texts to embed and {users} users, about {seconds} s on this machine "
        "(measured here: {speed} characters/s).",
        "首次运行：需嵌入 {texts} 条商品文本、{users} 个用户，本机约需 {seconds} 秒（本机实测：每秒 {speed} 个字符）。",
    ),
    # h12 output: run-time estimates and what the last action cost
    "seg.estimate_pending": (
        "First run: {texts} item texts and {users} users. The time it takes is estimated from this "
        "machine's measured speed as soon as the first texts are embedded.",
        "首次运行：{texts} 条商品文本、{users} 个用户。嵌入最初的一批文本后即按本机实测速度估算所需时间。",
    ),
    "seg.progress_eta": (
        "{message} · {elapsed} s so far, about {left} s left",
        "{message} · 已用 {elapsed} 秒，约剩 {left} 秒",
    ),
    "seg.done_reused": (
        "Done in {seconds} s (embeddings and profiles reused)",
        "完成，用时 {seconds} 秒（复用了向量与用户画像）",
    ),
    "seg.done_estimate": (" · estimated {estimate} s", " · 预计 {estimate} 秒"),
    "metric.last_run": ("Last run", "本次运行"),
    "metric.last_run_help": (
        "Your last Run took {seconds} s on this machine (the analysis stages alone: {total} s).",
        "上次点击“运行”在本机用时 {seconds} 秒（各分析阶段合计 {total} 秒）。",
    ),
    "metric.last_run_reused_help": (
        "Your last Run took {seconds} s: embeddings and profiles were reused. The full analysis, "
        "embedding included, took {total} s when it first ran.",
        "上次点击“运行”用时 {seconds} 秒：复用了向量与用户画像。包含嵌入的完整分析首次运行时用时 {total} 秒。",
    ),
    "metric.run_time_help": (
        "Time of every analysis stage of this result, embedding included.",
        "本结果各分析阶段的总用时（含嵌入）。",
    ),
    "seg.skipped_users": (
        "{n} users had no usable events and are not segmented.",
        "{n} 个用户没有可用行为，未参与分群。",
    ),
    "seg.advisor_title": ("How many segments? (K advisor)", "分几群？（K 值顾问）"),
    "seg.advisor_fixed": (
        "K was fixed at {k}. Tick “Let the advisor choose K” to compare candidates.",
        "K 固定为 {k}。勾选“由顾问自动选择 K”可比较候选值。",
    ),
    "seg.advisor_reason": ("Recommended K = {k}: {reason}", "推荐 K = {k}：{reason}"),
    "seg.advisor_table": ("Scores per K", "各 K 值得分"),
    "seg.advisor_metrics": (
        "silhouette and stability: higher is better; Davies–Bouldin: lower is better; min_share: the smallest segment's share of users.",
        "轮廓系数与稳定性越高越好；DB 指数越低越好；最小分群占比：最小分群的用户占比。",
    ),
    "seg.map_title": ("Interest map", "兴趣地图"),
    "seg.dims": ("View", "视图"),
    "seg.dims_help": (
        "Tick “Also compute a 3-D map” and re-run to enable 3-D.",
        "勾选“同时计算 3D 地图”并重新运行以启用 3D。",
    ),
    "seg.color_by": ("Colour by", "着色依据"),
    "seg.color_segment": ("segment", "分群"),
    "seg.color_confidence": ("confidence", "置信度"),
    "seg.color_events": ("number of events", "行为数"),
    "seg.map_hint": (
        "Each dot is a user; nearby users share interests. Draw a lasso or box to profile a group.",
        "每个点是一个用户，距离近表示兴趣相近。用套索或框选可为一组用户生成画像。",
    ),
    "seg.map_fit_sampled": (
        "The map shows a seeded sample of {n} users (the others are in every table and export, not on the map).",
        "地图显示 {n} 个用户的固定种子样本（其他用户在所有表格和导出中，但不在地图上）。",
    ),
    "seg.map_sampled": (
        "Showing {shown} of {total} users (a seeded sample; the map draws at most {limit}).",
        "显示 {total} 个用户中的 {shown} 个（固定种子抽样；地图最多绘制 {limit} 个）。",
    ),
    "seg.selected": ("{n} users selected on the map.", "在地图上选中了 {n} 个用户。"),
    "seg.make_adhoc": ("Profile this selection", "为所选用户生成画像"),
    "seg.adhoc_saved": (
        "Saved a selection of {n} users: see it on the Profiles page.",
        "已保存 {n} 个用户的选择：请在“群体画像”页查看。",
    ),
    "seg.adhoc_link": ("Open the profile of the selection ({n} users)", "查看所选用户的画像（{n} 人）"),
    "seg.sizes_title": ("Segment sizes", "分群规模"),
    # profiles page
    "prof.title": ("Segment profiles", "群体画像"),
    "prof.pick": ("Segment", "分群"),
    "prof.adhoc_option": ("Map selection ({n} users)", "地图选择（{n} 人）"),
    "prof.adhoc_title": ("Map selection", "地图选择"),
    "prof.name": ("Segment name (edit to rename everywhere)", "分群名称（修改后全局生效）"),
    "prof.keywords": ("Keywords", "关键词"),
    "prof.no_keywords": ("No keyword is shared by enough members.", "没有被足够多成员共享的关键词。"),
    "prof.top_items": (
        "Top items (lift = how much more often than average)",
        "热门商品（提升度 = 比平均高出的倍数）",
    ),
    "prof.lift_help": (
        "Share of members with the item divided by the share of all users with it.",
        "拥有该商品的成员占比 ÷ 全体用户中的占比。",
    ),
    "prof.no_items": ("No items to show.", "没有可显示的商品。"),
    "prof.composition": ("Composition", "构成"),
    "prof.representatives": ("Representative members (closest to the centre)", "代表性成员（最接近中心）"),
    "prof.members": ("Members and why they are here", "成员及其归属依据"),
    "prof.members_cut": (
        "Showing {shown} of {total} members; the export has all of them.",
        "显示 {total} 名成员中的 {shown} 名；导出文件包含全部成员。",
    ),
    "prof.compare_title": ("Compare two segments", "比较两个分群"),
    "prof.compare_a": ("First segment", "第一个分群"),
    "prof.compare_b": ("Second segment", "第二个分群"),
    "prof.compare_same": ("Pick two different segments.", "请选择两个不同的分群。"),
    "prof.compare_need_two": ("There is only one segment.", "只有一个分群。"),
    "prof.sentiment_delta": ("Sentiment difference (first − second)", "情感差（第一 − 第二）"),
    "prof.rating_delta": ("Rating difference", "评分差"),
    "prof.item_overlap": ("Top-item overlap", "热门商品重合度"),
    "prof.item_overlap_help": (
        "Jaccard overlap of the two top-item lists.",
        "两个热门商品列表的 Jaccard 重合度。",
    ),
    "prof.compare_diff": (
        "Words that set them apart (weighted log-odds z-scores):",
        "区分两者的词（加权对数几率 z 值）：",
    ),
    # recommendations page
    "rec.title": ("Recommendations", "推荐"),
    "rec.intro": (
        "What to show each user next, with a reason, and how well that works against simple baselines.",
        "为每位用户推荐接下来的内容并给出理由，以及与简单基线相比的效果。",
    ),
    "rec.top_title": ("Top picks", "推荐结果"),
    "rec.for": ("Recommend for", "推荐对象"),
    "rec.for_user": ("a user", "单个用户"),
    "rec.for_segment": ("a segment", "一个分群"),
    "rec.model": ("Recommender", "推荐方法"),
    "rec.top_n": ("Top N", "前 N 个"),
    "rec.search": ("Search user id", "搜索用户 ID"),
    "rec.search_placeholder": ("part of an id", "ID 的一部分"),
    "rec.no_match": ("No user id matches.", "没有匹配的用户 ID。"),
    "rec.user": ("User", "用户"),
    "rec.segment": ("Segment", "分群"),
    "rec.fitting": ("Fitting the recommender…", "正在训练推荐模型…"),
    "rec.cold": (
        "This user has no usable history: popular items are shown.",
        "该用户没有可用历史：显示热门商品。",
    ),
    "rec.segment_note": (
        "Pooled from the lists of the segment's {n} most typical members.",
        "汇总自该分群最典型的 {n} 名成员的推荐列表。",
    ),
    "rec.unavailable": ("Recommendations are not available in this build yet.", "当前版本暂不支持推荐。"),
    "rec.eval_title": ("Offline evaluation", "离线评估"),
    "rec.eval_intro": (
        "Each user's latest events are held out; every method ranks the catalogue and is scored on them.",
        "每位用户最近的行为被留出作为测试；各方法对全部商品排序并据此评分。",
    ),
    "rec.eval_run": ("Run the evaluation", "运行评估"),
    "rec.eval_running": ("Evaluating every recommender…", "正在评估所有推荐方法…"),
    "rec.eval_not_run": ("Not run yet for this dataset and configuration.", "尚未对当前数据和配置运行评估。"),
    "rec.eval_unavailable": ("The evaluation is not available in this build yet.", "当前版本暂不支持评估。"),
    "rec.metric_defs": ("What the metrics mean", "指标含义"),
    "rec.metric_defs_body": (
        "- **HR@K**: share of users with at least one held-out item in their top K.\n"
        "- **Precision@K / Recall@K**: held-out items in the top K, divided by K / by the user's held-out items.\n"
        "- **NDCG@K**: like recall, but hits near the top count more (1 = perfect order).\n"
        "- **Coverage**: share of the catalogue that appears in anyone's top K.",
        "- **HR@K（命中率）**：前 K 个推荐中至少命中一个测试商品的用户占比。\n"
        "- **Precision@K / Recall@K（精确率/召回率）**：前 K 个中命中的测试商品数 ÷ K / ÷ 该用户的测试商品数。\n"
        "- **NDCG@K**：与召回率类似，但排名越靠前的命中权重越高（1 = 完美排序）。\n"
        "- **Coverage（覆盖率）**：出现在任一用户前 K 个推荐中的商品占全部商品的比例。",
    ),
    # export page
    "exp.title": ("Export", "导出"),
    "exp.intro": (
        "Files for your CRM, spreadsheet or colleagues. Privacy guards apply to every file.",
        "用于 CRM、表格或同事的文件。所有文件都会应用隐私保护。",
    ),
    "exp.privacy_title": ("Privacy", "隐私"),
    "exp.pseudonymize": ("Pseudonymise user ids", "用户 ID 假名化"),
    "exp.pseudonymize_help": (
        "Replace every user id by a keyed hash (the same id gets the same pseudonym in this session).",
        "用带密钥的哈希替换用户 ID（本次会话中同一 ID 的假名相同）。",
    ),
    "exp.min_size": ("Minimum segment size (users)", "最小分群人数"),
    "exp.min_size_help": (
        "Smaller segments are merged into “Other” in the files.",
        "更小的分群在文件中合并为“其他”。",
    ),
    "exp.scrub": ("Remove emails and phone numbers from quoted text", "删除引用文本中的邮箱和电话号码"),
    "exp.scrub_help": (
        "Applies to review snippets and examples in the reports.",
        "适用于报告中的评论片段和示例。",
    ),
    "exp.small_note": (
        "{n} segment(s) have fewer than {size} users and will be merged into “Other”.",
        "{n} 个分群少于 {size} 人，将合并为“其他”。",
    ),
    "exp.files_title": ("Files", "文件"),
    "exp.preparing": ("Preparing the files…", "正在准备文件…"),
    "exp.download": ("Download", "下载"),
    "exp.members": ("Members (CSV)", "成员名单（CSV）"),
    "exp.members_help": (
        "One row per user: user_id, segment_id, segment_name, confidence, map position x/y, and rec_1…rec_N "
        "when per-user recommendations are on.",
        "每位用户一行：user_id、segment_id、segment_name、置信度、地图坐标 x/y；开启按用户推荐时还有 rec_1…rec_N。",
    ),
    "exp.excel": ("Workbook (Excel)", "工作簿（Excel）"),
    "exp.excel_help": (
        "Sheets: Summary, Segments (size, keywords, sentiment and its source, revenue), Members, Keywords, "
        "Recommendations (per user, when turned on), Evaluation (when run), Data quality.",
        "工作表：Summary、Segments（人数、关键词、情感及其来源、收入）、Members、Keywords、"
        "Recommendations（开启按用户推荐时）、Evaluation（运行评估后）、Data quality。",
    ),
    "exp.html": ("Report (HTML)", "报告（HTML）"),
    "exp.html_help": (
        "One self-contained page (map, segment cards with sentiment and revenue, K advice, data quality); "
        "opens offline and loads nothing from the internet.",
        "单个独立网页（地图、含情感与收入的分群卡片、K 值建议、数据质量）；可离线打开，不访问网络。",
    ),
    "exp.bundle": ("Project bundle (ZIP)", "项目包（ZIP）"),
    "exp.bundle_help": (
        "JSON and .npy files only: manifest, config (settings and seed), segments (ids, names, sizes, "
        "keywords), centroids, assignments (user → segment), ingest report, versions, privacy. No CSV, "
        "Excel or HTML inside. Open it on the Data page (“Open a saved project”) or with "
        "`python -m core assign` to assign new users.",
        "仅含 JSON 与 .npy 文件：manifest、config（设置与随机种子）、segments（编号、名称、人数、关键词）、"
        "分群中心、assignments（用户 → 分群）、导入报告、版本、隐私设置。不含 CSV、Excel 或 HTML。"
        "可在“数据”页“打开已保存的项目”，或用 `python -m core assign` 为新用户分配分群。",
    ),
    # h12 output: per-user recommendations in the exports
    "exp.with_recs": ("Per-user recommendations", "按用户推荐"),
    "exp.with_recs_help": (
        "Adds each user's top items (seen items excluded) to the members CSV (rec_1…rec_N) and to the "
        "Excel Recommendations sheet.",
        "把每位用户的推荐商品（不含已接触过的）加入成员 CSV（rec_1…rec_N）和 Excel 的 Recommendations 表。",
    ),
    "exp.n_recs": ("Items per user", "每位用户的推荐数"),
    "exp.recs_running": ("Recommending items for every user…", "正在为每位用户生成推荐…"),
    # --- h1213-finish: evaluation sample size ---
    "rec.eval_sampled": (
        "Scored on {n} of {total} test users (a fixed random sample, so the evaluation takes seconds).",
        "在 {total} 名测试用户中抽取 {n} 名评分（固定的随机样本，评估只需几秒）。",
    ),
    "rec.eval_all_users": ("Scored on all {n} test users.", "对全部 {n} 名测试用户评分。"),
    # --- h11-ui: text-column error and the complete 中文 UI ---
    "error.no_text_column": (
        "No column with item or post text was recognised (columns: {columns}). Choose it under "
        "“Item text” below (or “Review text” for reviews) and re-read.",
        "未识别出商品或帖子的文本列（现有列：{columns}）。请在下方“商品文本”中选择文本所在的列"
        "（评价内容请选“评价文本”），然后重新读取。",
    ),
    # charts: axis titles, trace names (ui/charts.py)
    "chart.scaled": ("scaled (0 = worst, 1 = best)", "归一化（0 = 最差，1 = 最好）"),
    "chart.metric.silhouette": ("Silhouette", "轮廓系数"),
    "chart.metric.stability": ("Stability", "稳定性"),
    "chart.metric.calinski_harabasz": ("Calinski-Harabasz", "CH 指数"),
    "chart.metric.davies_bouldin": ("Davies-Bouldin (flipped)", "DB 指数（反转）"),
    "chart.metric.min_share": ("Smallest segment share", "最小分群占比"),
    "chart.metric.inertia": ("Inertia (flipped)", "簇内误差平方和（反转）"),
    "chart.sentiment.positive": ("positive", "正面"),
    "chart.sentiment.neutral": ("neutral", "中性"),
    "chart.sentiment.negative": ("negative", "负面"),
    "chart.other": ("other", "其他"),
    "chart.selection": ("selection", "框选的用户"),
    # table headers in Chinese (English keeps the canonical column names): ui.widgets.localized
    "col.k": ("k", "K"),
    "col.rank": ("rank", "排名"),
    "col.item_id": ("item_id", "商品ID"),
    "col.user_id": ("user_id", "用户ID"),
    "col.text": ("text", "商品文本"),
    "col.score": ("score", "得分"),
    "col.reason": ("reason", "推荐理由"),
    "col.members": ("members", "推荐给的成员数"),
    "col.best_rank": ("best_rank", "最高排名"),
    "col.event_type": ("event_type", "行为类型"),
    "col.timestamp": ("timestamp", "时间"),
    "col.rating": ("rating", "评分"),
    "col.quantity": ("quantity", "数量"),
    "col.price": ("price", "单价"),
    "col.review": ("review", "评价"),
    "col.label": ("label", "标签"),
    "col.invoice": ("invoice", "订单号"),
    "col.n_events": ("n_events", "行为数"),
    "col.n_users": ("n_users", "用户数"),
    "col.z_a": ("z (a)", "z 值（左）"),
    "col.z_b": ("z (b)", "z 值（右）"),
    "col.silhouette": ("silhouette", "轮廓系数"),
    "col.stability": ("stability", "稳定性"),
    "col.calinski_harabasz": ("calinski_harabasz", "CH 指数"),
    "col.davies_bouldin": ("davies_bouldin", "DB 指数"),
    "col.min_share": ("min_share", "最小分群占比"),
    "col.inertia": ("inertia", "簇内误差平方和"),
    # why rows were rejected (core's reason codes, core/ingest/cleaning.py CHECK_ORDER and parsing)
    "reason.cancelled_invoice": ("cancelled_invoice", "已取消的订单"),
    "reason.negative_quantity": ("negative_quantity", "数量为负（退货或库存调整）"),
    "reason.missing_user": ("missing_user", "缺少用户"),
    "reason.non_product_code": ("non_product_code", "非商品编码（运费、折扣等）"),
    "reason.nonpositive_price": ("nonpositive_price", "单价不大于 0"),
    "reason.non_finite_quantity": ("non_finite_quantity", "数量不是有限数"),
    "reason.bad_quantity": ("bad_quantity", "数量无法读取"),
    "reason.non_finite_price": ("non_finite_price", "单价不是有限数"),
    "reason.bad_price": ("bad_price", "单价无法读取"),
    "reason.timestamp_out_of_range": ("timestamp_out_of_range", "时间超出合理范围"),
    "reason.bad_timestamp": ("bad_timestamp", "时间无法读取"),
    "reason.non_finite_rating": ("non_finite_rating", "评分不是有限数"),
    "reason.bad_rating": ("bad_rating", "评分无法读取"),
    "reason.unknown_event_type": ("unknown_event_type", "未知的行为类型"),
    "reason.unknown_item": ("unknown_item", "商品表中没有该商品"),
    "reason.missing_text": ("missing_text", "缺少文本"),
    "reason.duplicate": ("duplicate", "重复的行"),
    "data.delim_tab": ("'\\t' (tab)", "制表符"),
    # --- h11-repr: item representation and language ---
    "repr.label": ("Representation", "文本表示"),
    "repr.hybrid": ("Hybrid: model + TF-IDF (default)", "混合：模型 + TF-IDF（默认）"),
    "repr.sentence": ("Sentence model only", "仅句向量模型"),
    "repr.tfidf": ("TF-IDF only", "仅 TF-IDF"),
    "repr.ran": ("Representation — {why}", "文本表示——{why}"),
    "repr.language": ("Language of the item texts: {what}", "条目文本语言：{what}"),
    "repr.found": (
        "Models found on this machine (type one above): {models}",
        "本机已有的模型（可在上方填写）：{models}",
    ),
    "repr.none_found": (
        "No other sentence-transformers model in the Hugging Face cache; a multilingual one "
        "(e.g. paraphrase-multilingual-MiniLM-L12-v2) reads Chinese better.",
        "Hugging Face 缓存中没有其他 sentence-transformers 模型；多语言模型"
        "（如 paraphrase-multilingual-MiniLM-L12-v2）对中文理解更好。",
    ),
    # --- h15-activate: control groups on the Export page ---
    "act.control_share": ("Control group (% of each segment)", "对照组（每个分群的百分比）"),
    "act.control_share_help": (
        "Hold out this share of every segment from the campaign (column 'control' in the files), so its "
        "uplift can be measured later. The same seed keeps the same users in control on every run.",
        "从每个分群中留出该比例的用户不参与活动（文件中的 control 列），以便之后衡量提升效果。相同种子在每次运行中保留相同的对照用户。",
    ),
    "act.control_seed": ("Control-group seed", "对照组随机种子"),
    # --- h11-speed: long texts ---
    "embed.truncated": (
        "Sentence model token limit {limit}: {n} of {total} unique item texts were longer and were cut to it.",
        "句向量模型词元上限 {limit}：{total} 条不同条目文本中有 {n} 条超出上限并被截断。",
    ),
    # --- h11-zhsample: the Chinese sample dataset ---
    "zhs.sample_caption": (
        "Use sample data: a small generated shop with reviews in English and Chinese. 中文示例: the same kind "
        "of shop in Chinese (Chinese headers, product titles, reviews and event types).",
        "使用示例数据：一个小型生成的店铺数据，含中英文评论。中文示例：中文店铺数据（中文列名、商品标题、评论和行为类型）。",
    ),
    "zhs.use_sample_zh": ("中文示例 (Chinese sample)", "中文示例"),
    # --- h15-trends: Activate page (trends, lookalikes, control groups, refresh) ---
    "nav.activate": ("Activate", "激活"),
    "act.title": ("Activate segments", "激活分群"),
    "act.intro": (
        "Use the segments: how their size changes over time, who else looks like a segment or a seed "
        "list, control groups, and what new data changes.",
        "使用分群：分群规模随时间的变化、与某个分群或种子名单相似的其他用户、对照组，以及新数据带来的变化。",
    ),
    "act.trends_title": ("Trends", "趋势"),
    "act.trends_running": ("Computing segment sizes per period…", "正在按周期计算分群规模…"),
    "act.trends_none": (
        "Trends need event timestamps spanning at least two weeks; this data has none.",
        "趋势需要跨至少两周的事件时间戳；当前数据没有。",
    ),
    "act.unit_week": ("week", "周"),
    "act.unit_month": ("month", "月"),
    "act.trends_intro": (
        "Users active in each {unit} ({n} in all), in the segment their profile up to the end of that "
        "{unit} is closest to. Weeks when the data spans at most 26 weeks, else months.",
        "每{unit}活跃的用户（共 {n} 个周期），按截至该{unit}末的画像归入最近的分群。数据跨度不超过 26 周时按周，否则按月。",
    ),
    "act.axis_week": ("Week", "周"),
    "act.axis_month": ("Month", "月份"),
    "act.axis_users": ("Active users", "活跃用户数"),
    "act.unassigned": ("No profile yet", "暂无画像"),
    "act.keywords_title": ("Keyword changes: {first} vs {last}", "关键词变化：{first} 对比 {last}"),
    "act.col_segment_name": ("Segment", "分群"),
    "act.col_first_keywords": ("First period", "首个周期"),
    "act.col_last_keywords": ("Last period", "最后周期"),
    "act.col_gained": ("New keywords", "新增关键词"),
    "act.col_lost": ("Dropped keywords", "消失的关键词"),
    "act.look_title": ("Lookalikes", "相似人群"),
    "act.look_intro": (
        "Rank the other users by how much their interest profile resembles the seeds' (seeds excluded).",
        "按兴趣画像与种子用户的相似度为其他用户排序（不含种子用户）。",
    ),
    "act.seed_source": ("Seeds", "种子用户"),
    "act.seed_segment": ("A segment", "某个分群"),
    "act.seed_upload": ("Upload a CSV", "上传 CSV"),
    "act.seed_segment_pick": ("Segment", "分群"),
    "act.seed_upload_label": ("Seed list (CSV with a user_id column)", "种子名单（含 user_id 列的 CSV）"),
    "act.seed_upload_help": (
        "One user id per row in a column named user_id, as in the members file.",
        "每行一个用户 ID，列名为 user_id，与成员文件一致。",
    ),
    "act.seed_too_big": ("The seed file is larger than 20 MiB.", "种子文件超过 20 MiB。"),
    "act.seed_unreadable": (
        "Cannot read the seed file; save it as a UTF-8 CSV.",
        "无法读取种子文件；请另存为 UTF-8 编码的 CSV。",
    ),
    "act.seed_no_column": ("The seed file needs a user_id column.", "种子文件需要 user_id 列。"),
    "act.look_top": ("How many lookalikes", "相似用户数量"),
    "act.look_seeds": (
        "{n} seed user(s) found in this analysis, {missing} not found.",
        "在本次分析中找到 {n} 个种子用户，{missing} 个未找到。",
    ),
    "act.look_download": ("Download lookalikes (CSV)", "下载相似用户（CSV）"),
    "act.control_title": ("Control groups", "对照组"),
    "act.control_note": (
        "To measure a campaign's uplift, hold out a share of every segment on the Export page "
        "(setting “Control group”): the files then carry a control column, the same users on every run "
        "with the same seed.",
        "如需衡量活动提升效果，请在导出页面设置“对照组”，从每个分群留出一定比例：导出文件会带有 control 列，"
        "相同种子在每次运行中保留相同的用户。",
    ),
    "act.refresh_title": ("Refresh on new data", "用新数据刷新"),
    "act.refresh_intro": (
        "Upload a saved project bundle and newer events: the segments are re-found on the new data "
        "with the same ids, and you see who entered, left or moved (as `python -m core refresh`).",
        "上传已保存的项目包和更新的事件数据：在新数据上重新分群并保持相同的分群 ID，"
        "并显示哪些用户进入、离开或转移（与 `python -m core refresh` 相同）。",
    ),
    "act.refresh_bundle": ("Project bundle (.zip)", "项目包（.zip）"),
    "act.refresh_events": ("New events", "新事件数据"),
    "act.refresh_running": ("Re-running the analysis on the new data…", "正在用新数据重新分析…"),
    "act.refresh_totals": (
        "{before:,} users before, {after:,} after: {entered:,} entered, {left:,} left, {moved:,} moved.",
        "之前 {before:,} 个用户，之后 {after:,} 个：进入 {entered:,}，离开 {left:,}，转移 {moved:,}。",
    ),
    "act.col_segment_id": ("Segment id", "分群 ID"),
    "act.col_name": ("Segment", "分群"),
    "act.col_size_before": ("Users before", "之前用户数"),
    "act.col_entries": ("Entered", "进入"),
    "act.col_exits": ("Left", "离开"),
    "act.col_size_after": ("Users after", "之后用户数"),
    "act.col_reconciled": ("Adds up", "数目核对一致"),
    "act.yes": ("yes", "是"),
    "act.no": ("no", "否"),
    "act.refresh_download": ("Download changes (CSV)", "下载变化明细（CSV）"),
    # --- h14-dash: open a finished run (ui/saved_run.py) and the upload limit -----------------
    "run_open.title": ("Open a finished run", "打开已完成的运行"),
    "run_open.intro": (
        "Open the folder that `python -m core analyze ... --out DIR` wrote (DIR, or DIR/analysis) on this "
        "machine: the segments, map, profiles, recommendations and exports appear without recomputing.",
        "打开本机上 `python -m core analyze ... --out DIR` 写出的文件夹（`DIR` 或 `DIR/analysis`）："
        "分群、地图、画像、推荐和导出无需重新计算即可查看。",
    ),
    "run_open.path": ("Folder on this machine", "本机上的文件夹"),
    "run_open.placeholder": ("/path/to/out", "文件夹路径"),
    "run_open.path_help": (
        "The path the command printed after “Open in the dashboard”. Only a folder holding a saved "
        "analysis (manifest.json) is opened.",
        "即命令在“在仪表盘中打开”之后打印的路径。只会打开含有已保存分析（manifest.json）的文件夹。",
    ),
    "run_open.button": ("Open run", "打开运行结果"),
    "run_open.loading": ("Opening the finished run…", "正在打开已完成的运行…"),
    "run_open.done": ("Opened in {seconds} s", "已打开，用时 {seconds} 秒"),
    "run_open.failed": ("The run could not be opened", "无法打开该运行结果"),
    "run_open.path_was": ("Path given: {path}", "填写的路径：{path}"),
    "run_open.opened": (
        "Run {run} is open: {users} users in {k} segments. Segments, Profiles, Recommend and Export show it.",
        "运行 {run} 已打开：{users} 个用户，{k} 个分群。分群、画像、推荐和导出页面均显示该结果。",
    ),
    "run_open.upload_limit": (
        "The browser uploads files up to {limit} MB. For larger data run "
        "`python -m core analyze PATH --out DIR` (PATH: a file, or a folder or glob of Parquet/CSV parts), "
        "then open DIR below with “Open a finished run”.",
        "浏览器最多上传 {limit} 兆字节的文件。更大的数据请运行 `python -m core analyze PATH --out DIR`"
        "（`PATH` 可以是文件，或 Parquet/CSV 分片所在的文件夹或通配符），然后在下方用“打开已完成的运行”打开 `DIR`。",
    ),
}


def lang() -> str:
    """The session's language code ("en" or "zh")."""
    value = st.session_state.get("language", "en")
    return value if value in LANGUAGES else "en"


def t(key: str, **values: object) -> str:
    """The string for key in the session's language, with values formatted in."""
    english, chinese = STRINGS[key]
    text = chinese if lang() == "zh" else english
    return text.format(**values) if values else text
