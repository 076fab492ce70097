//! 简体中文 (zh-CN).

use super::{Catalogue, PageText};
use crate::model::IntOrPercent;
use crate::model::explain::{ExplainStep, Explanation};

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
    ],
    endpoints: "Service {service}：{ready} 个就绪端点",
    requests: "客户端 {client}，这一秒：{ok} 个成功，{failed} 个失败",
    newest: "最新的 ReplicaSet（粗边框）",
    decision_count: "此刻有 {n} 个决策",
};

impl Catalogue for SimplifiedChinese {
    fn why(&self) -> &'static str {
        "原因"
    }

    fn page_text(&self) -> &'static PageText {
        &PAGE
    }

    fn explain(&self, e: &Explanation) -> (String, String) {
        match &e.step {
            ExplainStep::ScaleUpNew {
                rs,
                replicas,
                max_surge,
                surge,
                all_spec_sum,
                from,
                to,
            } => (
                format!("将新 ReplicaSet {rs} 从 {from} 扩容到 {to}"),
                format!(
                    "maxSurge {}，所以各 ReplicaSet 合计最多 {replicas} + {surge} = {} 个 Pod；当前已要求 {all_spec_sum} 个，所以新 ReplicaSet 可增加 {} 个（距 {replicas} 还差 {} 个）",
                    resolved(*max_surge, *replicas, true, *surge),
                    replicas + surge,
                    to - from,
                    replicas - from
                ),
            ),
            ExplainStep::ScaleDownOld {
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
            } => {
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
            ExplainStep::RecreateDown { rs, from } => (
                format!("将旧 ReplicaSet {rs} 从 {from} 缩容到 0"),
                "策略 Recreate：先删除所有旧 Pod，再创建新 Pod".into(),
            ),
            ExplainStep::RecreateUp { rs, from, to } => (
                format!("将新 ReplicaSet {rs} 从 {from} 扩容到 {to}"),
                format!("策略 Recreate：旧 Pod 已全部消失，所以新 ReplicaSet 直接扩容到 {to}"),
            ),
            ExplainStep::RecreateWait { old_pods } => (
                "等待".into(),
                format!(
                    "策略 Recreate：旧 ReplicaSet 的 {old_pods} 个 Pod 仍然存在（包括正在终止的）；全部消失后才创建新 Pod"
                ),
            ),
            ExplainStep::DeadlineExceeded {
                deadline_s,
                last_progress,
            } => (
                "将发布标记为 ProgressDeadlineExceeded".into(),
                format!(
                    "自 {last_progress} 起没有进展（Progressing 条件的最后更新：新的 ReplicaSet，或更多 Pod 就绪或可用），超过 progressDeadlineSeconds {deadline_s} 秒；控制器保持发布现状，rollout status 失败"
                ),
            ),
            ExplainStep::Wait {
                replicas,
                max_total,
                all_spec_sum,
                min_available,
                available,
                new_unavailable,
            } => (
                "等待".into(),
                format!(
                    "已要求 {all_spec_sum} 个 Pod，上限为 {max_total}，所以不能再建新 Pod；{available} 个可用，下限为 {min_available}，所以不能删除旧 Pod（新 Pod 中有 {new_unavailable} 个尚不可用；期望 {replicas} 个）"
                ),
            ),
        }
    }
}
