-- Argo CD health for every nbaccess.dev kind, read from the kstatus conditions the operator
-- writes. Data-plane trouble (RoutingPeersHealthy=False) stays Healthy with a message: a sync
-- wave must not wait for routing peers that enroll only after this wave's setup key exists.
local hs = {}
hs.status = "Progressing"
hs.message = "Waiting for the operator"
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
local byType = {}
for _, c in ipairs(obj.status.conditions) do
  byType[c.type] = c
end
local ready = byType["Ready"]
local stalled = byType["Stalled"]
local reconciling = byType["Reconciling"]
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = (stalled.reason or "") .. ": " .. (stalled.message or "")
  return hs
end
local generation = obj.metadata.generation or 0
local observed = obj.status.observedGeneration or -1
if ready ~= nil and ready.status == "True" and observed == generation then
  hs.status = "Healthy"
  hs.message = ready.message or ""
  local peers = byType["RoutingPeersHealthy"]
  if peers ~= nil and peers.status ~= "True" then
    hs.message = "Config applied; routing peers: " .. (peers.message or peers.reason or "unhealthy")
  end
  return hs
end
if reconciling ~= nil and reconciling.status == "True" then
  hs.message = (reconciling.reason or "") .. ": " .. (reconciling.message or "")
elseif ready ~= nil then
  hs.message = (ready.reason or "") .. ": " .. (ready.message or "")
end
return hs
