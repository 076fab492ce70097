//! 简体中文 (zh-CN).

use super::{Catalogue, ChartText, PageText};
use crate::model::IntOrPercent;
use crate::model::explain::{DeletionRule, EndpointChange, ExplainStep, Explanation, ResizeHow};

pub(super) struct SimplifiedChinese;

/// `4 的 25% 向上取整 = 1`，或按原样写的整数。
fn resolved(v: IntOrPercent, replicas: i32, up: bool, value: i32) -> String {
    match v {
        IntOrPercent::Int(_) => format!("{value}"),
        IntOrPercent::Percent(p) => {
            let way = if up { "向上取整" } else { "向下取整" };
            format!("{replicas} 的 {p}% {way} = {value}")
        }
    }
}

static CHARTS: ChartText = ChartText {
    font: super::CJK_FONT,
    rollout_title: "{scenario} — Deployment {deployment}（种子 {seed}）",
    pods_title: "{scenario} — Pod 时间线（种子 {seed}）",
    time_axis: "虚拟时间（秒）",
    pods_axis: "Pod 数",
    pod_rows_axis: "Pod（按创建顺序逐行）",
    summary: "摘要",
    available: "可用：{rs}",
    revisions: "修订版本 {revisions} · {images}",
    ready_pods: "就绪的 Pod",
    live_pods: "所有存活的 Pod（含终止中）",
    desired: "期望副本数",
    floor: "下限：replicas − maxUnavailable",
    ceiling: "上限：replicas + maxSurge",
    recreate: "（Recreate：无 surge，无下限）",
    endpoints_ready: "就绪端点（Service {service}）",
    script_command: "改变它的脚本命令",
    fault: "故障（节点宕机/恢复，首次失败）",
    random_crash: "随机容器崩溃（顶部刻度）",
    after_run: "运行结束之后（保持最后状态）",
    states: [
        "Pending（未调度）",
        "拉取镜像 / 创建中",
        "镜像拉取失败（ErrImagePull，退避）",
        "已崩溃（Error、CrashLoopBackOff）",
        "运行中，未就绪",
        "就绪，尚未可用",
        "可用",
        "终止中",
        "Init 容器运行中（Init:N/M）",
    ],
    showing: "显示 {total} 个 Pod 中的 {shown} 个：",
    every: "   每个修订版本每 {step} 个取一个",
    pod_count: "{total} 个 Pod",
    group_head: " {label}（{count} 个 Pod）",
    deployment: "Deployment {name}",
    rollout: "第 {n} 次滚动更新 → 修订版本 {revision}：{took}",
    took: "用时 {s}",
    not_complete: "未完成",
    min_available: "   最少可用 {min}/{replicas}",
    peak_pods: "   Pod 峰值 {live}（ReplicaSet 中 {spec}）",
    traffic_title: "用户看到的每秒请求数",
    traffic_axis: "每秒请求数（按发送的秒计）",
    revision: "修订版本 {revision}",
    summary_head: "# 摘要：场景 {scenario}，种子 {seed}",
    summary_rollout: "#   第 {n} 次滚动更新到修订版本 {revision}（{images}）：{end}；最少可用 {min}/{replicas}，ReplicaSet 中最多 {spec} 个 Pod，存活（含终止中）最多 {live} 个（{bounds}）",
    summary_not_complete: "{start} → 未完成",
    summary_bounds: "下限 {floor}，上限 {ceiling}",
    summary_steps: "# 步骤：运行 {steps} 个，{failed} 个不符合预期；处理事件 {events} 个；覆盖虚拟时间 {time}",
    summary_aborted: "# 运行中止：{why}",
    rollout_heading: "Deployment {deployment}：新旧 Pod",
    pods_heading: "Pod 时间线",
    traffic_heading: "用户看到的请求",
};

static PAGE: PageText = PageText {
    title: "滚动更新报告",
    keys: "← → 逐个事件前后移动 · PageUp/PageDown 跳到上一个/下一个控制器决策 · Home/End · 也可以拖动游标，或点击记录中的一行",
    cursor: "时间游标",
    prev_event: "上一个事件",
    next_event: "下一个事件",
    prev_decision: "« 上一个决策",
    next_decision: "下一个决策 »",
    explanation: "原因：控制器的决策",
    no_decision_yet: "控制器尚未做出决策。",
    nodes: "各节点上的 Pod",
    unscheduled: "未调度",
    traffic: "Service 端点与请求",
    charts: "图表",
    transcript: "终端记录",
    pods_sampled: "显示 {total} 个 Pod 中的 {shown} 个（按创建顺序每 {step} 个取一个）；ReplicaSet 表统计全部 Pod。",
    lines_cut: "共 {total} 行，这里显示前 {shown} 行；transcript.txt 中有全部内容。",
    nodes_cut: "显示有 Pod 的 {total} 个节点中的 {shown} 个。",
    no_pods: "此刻没有 Pod。",
    states: [
        "Pending（未调度）",
        "拉取镜像 / 创建中",
        "镜像拉取失败",
        "已崩溃（Error、CrashLoopBackOff）",
        "运行中，未就绪",
        "就绪，尚未可用",
        "可用",
        "终止中",
        "Init 容器运行中",
    ],
    endpoints: "Service {service}：{ready} 个就绪端点",
    requests: "客户端 {client}，这一秒：{ok} 个成功，{failed} 个失败",
    newest: "最新的 ReplicaSet（粗边框）",
    decision_count: "此刻有 {n} 个决策",
};

/// `scale` 为什么在滚动步骤之外调整 ReplicaSet 的大小。
fn resize(rs: &str, replicas: i32, from: i32, to: i32, how: &ResizeHow) -> (String, String) {
    let way = if to > from { "扩容" } else { "缩容" };
    let decision = format!("将 ReplicaSet {rs} 从 {from} {way}到 {to}");
    let why = match how {
        ResizeHow::Single => format!("它是唯一活跃的 ReplicaSet，所以承担全部 {replicas} 个副本"),
        ResizeHow::Saturated => {
            format!("新 ReplicaSet 的 {replicas} 个副本已全部可用，所以旧的缩容到 0")
        }
        ResizeHow::Proportional {
            max_surge,
            surge,
            allowed,
            total,
            annotated,
            share,
            leftover,
        } => {
            let surge_text = resolved(*max_surge, replicas, true, *surge);
            let mut text = format!(
                "按比例扩缩：maxSurge {surge_text}，所以最多允许 {replicas} + {surge} = {allowed} 个 Pod，活跃的 ReplicaSet 共有 {total} 个；它在 {} 中的份额为 round({from} × {allowed} / {annotated}) − {from} = {share}（不超过剩余数量）",
                allowed - total
            );
            if *leftover != 0 {
                text.push_str(&format!(
                    "；作为最大的一个，它还承担取整剩下的 {leftover} 个"
                ));
            }
            text
        }
    };
    (decision, why)
}

/// ReplicaSet 控制器为什么删除这个 Pod，而不是它保留的排在最前面的那个。
fn delete_pod(pod: &str, kept: Option<&str>, rule: DeletionRule) -> (String, String) {
    let decision = format!("删除 Pod {pod}");
    let Some(kept) = kept else {
        return (decision, "所有活跃的 Pod 都要删除".into());
    };
    let why = match rule {
        DeletionRule::Unscheduled => "它还没有被调度到节点上，未调度的 Pod 先删除".into(),
        DeletionRule::Phase(a, b) => {
            format!("它处于 {a}，而 {kept} 处于 {b}；Pending 先于 Unknown 先于 Running")
        }
        DeletionRule::NotReady => format!("它未就绪而 {kept} 已就绪；未就绪的 Pod 先删除"),
        DeletionRule::DeletionCost(a, b) => {
            format!("它的 pod-deletion-cost {a} 低于 {kept} 的 {b}")
        }
        DeletionRule::MorePodsOnNode(a, b) => format!(
            "它所在节点运行该 Deployment 的 {a} 个 Pod，{kept} 所在节点运行 {b} 个；更拥挤节点上的 Pod 先删除"
        ),
        DeletionRule::ReadyMoreRecently => {
            format!("它比 {kept} 更晚就绪（按就绪以来时间的 2 的幂分档），较新就绪的 Pod 先删除")
        }
        DeletionRule::MoreRestarts(a, b) => {
            format!("它重启了 {a} 次，{kept} 重启了 {b} 次；重启多的先删除")
        }
        DeletionRule::ReadyBucketUid => format!(
            "它与 {kept} 的就绪时间落在同一个 2 的幂时间档内，此时直接比较 UID，较小的先删除"
        ),
        DeletionRule::Newer => {
            format!("它比 {kept} 更新（按存在时间的 2 的幂分档），较新的 Pod 先删除")
        }
        DeletionRule::Uid => format!("它与 {kept} 在每条规则上都相同，UID 较小的先删除"),
        DeletionRule::All => "所有活跃的 Pod 都要删除".into(),
    };
    (decision, format!("删除排序：{why}"))
}

/// 调度器为什么让 Pod 保持 Pending。
fn unschedulable(
    pod: &str,
    nodes: usize,
    reasons: &[(String, usize)],
    conflict: Option<&(String, String)>,
) -> (String, String) {
    let decision = format!("让 Pod {pod} 保持 Pending");
    let list: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
    let mut why = format!(
        "没有节点通过它的过滤条件；{nodes} 个节点各按第一个拒绝它的过滤插件计数：{}",
        list.join("，")
    );
    if let Some((node, other)) = conflict {
        why.push_str(&format!(
            "；{node} 上已经运行 {other}，它的必需反亲和性排除了这个节点（终止中的 Pod 在消失之前也算）"
        ));
    }
    why.push_str("；每当有节点变化时会重新尝试");
    (decision, why)
}

/// EndpointSlice 控制器为什么改变了某个 Pod 的端点。
fn endpoint(service: &str, pod: &str, change: EndpointChange, ready: u32) -> (String, String) {
    let (decision, why) = match change {
        EndpointChange::Ready => (
            format!("将 Pod {pod} 列为 {service} 的就绪端点"),
            "它的 Ready 条件为 True，所以 kube-proxy 会把新连接发给它",
        ),
        EndpointChange::NotReady => (
            format!("将 Pod {pod} 在 {service} 中列为未就绪"),
            "它的 Ready 条件不为 True（尚未就绪，或就绪探针失败），所以 kube-proxy 不会发给它新连接",
        ),
        EndpointChange::Terminating => (
            format!("将 Pod {pod} 在 {service} 中标记为终止中"),
            "它有 deletionTimestamp：ready 为 false，所以每个 kube-proxy 看到变化后就不再发给它新连接",
        ),
        EndpointChange::Removed => (
            format!("从 {service} 中移除 Pod {pod}"),
            "该 Pod 已从 API 中消失",
        ),
    };
    (decision, format!("{why}；现在有 {ready} 个就绪端点"))
}

/// The words of `ExplainStep::ScaleUpNew`.
fn scale_up_new(step: &ExplainStep) -> (String, String) {
    let ExplainStep::ScaleUpNew {
        rs,
        replicas,
        max_surge,
        surge,
        all_spec_sum,
        from,
        to,
    } = step
    else {
        return Default::default();
    };
    (
        format!("将新 ReplicaSet {rs} 从 {from} 扩容到 {to}"),
        format!(
            "maxSurge {}，所以各 ReplicaSet 合计最多 {replicas} + {surge} = {} 个 Pod；当前已要求 {all_spec_sum} 个，所以新 ReplicaSet 可增加 {} 个（距 {replicas} 还差 {} 个）",
            resolved(*max_surge, *replicas, true, *surge),
            replicas + surge,
            to - from,
            replicas - from
        ),
    )
}

/// The words of `ExplainStep::ScaleDownOld`.
fn scale_down_old(step: &ExplainStep) -> (String, String) {
    let ExplainStep::ScaleDownOld {
        rs,
        replicas,
        max_unavailable,
        unavailable,
        min_available,
        all_pods,
        new_unavailable,
        max_scaled_down,
        unhealthy,
        available,
        from,
        to,
    } = step
    else {
        return Default::default();
    };
    {
        let floor = format!(
            "maxUnavailable {}，所以至少 {replicas} − {unavailable} = {min_available} 个 Pod 必须保持可用",
            resolved(*max_unavailable, *replicas, false, *unavailable)
        );
        let reason = if *unhealthy {
            format!(
                "{floor}；其中 {} 个不可用的 Pod 先被删除（cleanupUnhealthyReplicas），上限为已要求的 {all_pods} − {min_available} − 尚不可用的新 Pod {new_unavailable} = {max_scaled_down}",
                from - to
            )
        } else {
            format!(
                "{floor}；当前 {available} 个可用，所以最多可删除 {} 个",
                available - min_available
            )
        };
        (
            format!("将旧 ReplicaSet {rs} 从 {from} 缩容到 {to}"),
            reason,
        )
    }
}

/// The words of `ExplainStep::RecreateWait`.
fn recreate_wait(step: &ExplainStep) -> (String, String) {
    let ExplainStep::RecreateWait { old_pods } = step else {
        return Default::default();
    };
    (
        "等待".into(),
        format!(
            "策略 Recreate：旧 ReplicaSet 的 {old_pods} 个 Pod 仍然存在（包括正在终止的）；全部消失后才创建新 Pod"
        ),
    )
}

/// The words of `ExplainStep::DeadlineExceeded`.
fn deadline_exceeded(step: &ExplainStep) -> (String, String) {
    let ExplainStep::DeadlineExceeded {
        deadline_s,
        last_progress,
    } = step
    else {
        return Default::default();
    };
    (
        "将发布标记为 ProgressDeadlineExceeded".into(),
        format!(
            "自 {last_progress} 起没有进展（Progressing 条件的最后更新：新的 ReplicaSet，或更多 Pod 就绪或可用），超过 progressDeadlineSeconds {deadline_s} 秒；控制器保持发布现状，rollout status 失败"
        ),
    )
}

/// The words of `ExplainStep::Wait`.
fn wait(step: &ExplainStep) -> (String, String) {
    let ExplainStep::Wait {
        replicas,
        max_total,
        all_spec_sum,
        min_available,
        available,
        new_unavailable,
    } = step
    else {
        return Default::default();
    };
    (
        "等待".into(),
        format!(
            "已要求 {all_spec_sum} 个 Pod，上限为 {max_total}，所以不能再建新 Pod；{available} 个可用，下限为 {min_available}，所以不能删除旧 Pod（新 Pod 中有 {new_unavailable} 个尚不可用；期望 {replicas} 个）"
        ),
    )
}

impl Catalogue for SimplifiedChinese {
    fn why(&self) -> &'static str {
        "原因"
    }

    fn page_text(&self) -> &'static PageText {
        &PAGE
    }

    fn chart_text(&self) -> &'static ChartText {
        &CHARTS
    }

    fn explain(&self, e: &Explanation) -> (String, String) {
        match &e.step {
            step @ ExplainStep::ScaleUpNew { .. } => scale_up_new(step),
            step @ ExplainStep::ScaleDownOld { .. } => scale_down_old(step),
            ExplainStep::RecreateDown { rs, from } => (
                format!("将旧 ReplicaSet {rs} 从 {from} 缩容到 0"),
                "策略 Recreate：先删除所有旧 Pod，再创建新 Pod".into(),
            ),
            ExplainStep::RecreateUp { rs, from, to } => (
                format!("将新 ReplicaSet {rs} 从 {from} 扩容到 {to}"),
                format!("策略 Recreate：旧 Pod 已全部消失，所以新 ReplicaSet 直接扩容到 {to}"),
            ),
            step @ ExplainStep::RecreateWait { .. } => recreate_wait(step),
            ExplainStep::Resize {
                rs,
                replicas,
                from,
                to,
                how,
            } => resize(rs, *replicas, *from, *to, how),
            ExplainStep::Unschedulable {
                pod,
                nodes,
                reasons,
                conflict,
            } => unschedulable(pod, *nodes, reasons, conflict.as_ref()),
            ExplainStep::Endpoint {
                service,
                pod,
                change,
                ready,
            } => endpoint(service, pod, *change, *ready),
            ExplainStep::DeletePod {
                pod, kept, rule, ..
            } => delete_pod(pod, kept.as_deref(), *rule),
            step @ ExplainStep::DeadlineExceeded { .. } => deadline_exceeded(step),
            step @ ExplainStep::Wait { .. } => wait(step),
        }
    }
}
